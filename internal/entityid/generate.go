package entityid

//go:generate go run gen.go
