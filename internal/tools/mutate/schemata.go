package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
)

// Mutant is one deliberate change to a package's code.
type Mutant struct {
	ID   int
	File string // base name
	Line int
	Kind string // boundary, negate, drop, return-early, swallow, or named
	Desc string
}

func (m Mutant) String() string {
	return fmt.Sprintf("%s:%d %s: %s", m.File, m.Line, m.Kind, m.Desc)
}

// site is a mutation in one file: the byte range it rewrites, and how.
type site struct {
	Mutant
	start, end int // byte offsets of the node in the source
	// rewrite returns the node's new text given a renderer for sub-ranges
	// (which applies the mutations nested inside them).
	rewrite func(id int, r func(start, end int) string) string
}

// schemaFile rewrites one Go file so that each of its generic mutants sits
// behind zzMutantOn(id), ids counted from *next. lines is the set of lines
// whose mutants to leave out (the compiler refused them). It returns the
// rewritten source, which keeps every line where it was, and the mutants.
func schemaFile(name string, src []byte, next *int, skip map[int]bool) (string, []Mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return "", nil, err
	}
	var sites []*site
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	line := func(p token.Pos) int { return fset.Position(p).Line }
	text := func(n ast.Node) string { return string(src[off(n.Pos()):off(n.End())]) }
	add := func(n ast.Node, kind, desc string, rw func(id int, r func(int, int) string) string) {
		l := line(n.Pos())
		if skip[l] {
			return
		}
		sites = append(sites, &site{
			Mutant:  Mutant{File: name, Line: l, Kind: kind, Desc: desc},
			start:   off(n.Pos()),
			end:     off(n.End()),
			rewrite: rw,
		})
	}
	oneLine := func(n ast.Node) bool { return line(n.Pos()) == line(n.End()) }

	// Comparisons and logical operators. The rewrite evaluates the operands
	// once, in whichever branch runs; it duplicates their text, so only
	// single-line expressions are mutated (lines must not move).
	swap := map[token.Token][]token.Token{
		token.LSS:  {token.LEQ},
		token.LEQ:  {token.LSS},
		token.GTR:  {token.GEQ},
		token.GEQ:  {token.GTR},
		token.EQL:  {token.NEQ},
		token.NEQ:  {token.EQL},
		token.LAND: {token.LOR},
		token.LOR:  {token.LAND},
	}
	kindOf := func(op token.Token) string {
		switch op {
		case token.LSS, token.LEQ, token.GTR, token.GEQ:
			return "boundary"
		}
		return "negate"
	}
	// bodies of const declarations cannot hold function literals.
	var consts [][2]int
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			consts = append(consts, [2]int{off(g.Pos()), off(g.End())})
		}
	}
	inConst := func(n ast.Node) bool {
		for _, c := range consts {
			if off(n.Pos()) >= c[0] && off(n.End()) <= c[1] {
				return true
			}
		}
		return false
	}
	// conds are the if/for conditions, negated as a whole.
	negateCond := func(c ast.Expr) {
		if c == nil {
			return
		}
		if b, ok := c.(*ast.BinaryExpr); ok && (b.Op == token.EQL || b.Op == token.NEQ) {
			return // the == / != swap is the same mutant
		}
		desc := fmt.Sprintf("negate condition %s", short(text(c)))
		add(c, "negate", desc, func(id int, r func(int, int) string) string {
			return fmt.Sprintf("zzMutantNot(%d, %s)", id, r(off(c.Pos()), off(c.End())))
		})
	}
	// funcs returning only an error (or nothing): their result shapes.
	var funcStack []*ast.FuncType
	var walk func(n ast.Node) bool
	walk = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			if n.Tok == token.CONST {
				return false
			}
		case *ast.FuncDecl:
			if n.Body == nil {
				return false
			}
			funcStack = append(funcStack, n.Type)
			if res := resultShape(n.Type); res != "" && len(n.Body.List) > 0 {
				ret := "return"
				if res == "error" {
					ret = "return nil"
				}
				body := n.Body
				add(body, "return-early", fmt.Sprintf("%s returns at once (%s)", n.Name.Name, ret), func(id int, r func(int, int) string) string {
					inner := r(off(body.Lbrace)+1, off(body.Rbrace))
					return fmt.Sprintf("{ if zzMutantOn(%d) { %s };%s}", id, ret, inner)
				})
			}
			ast.Inspect(n.Body, walk)
			funcStack = funcStack[:len(funcStack)-1]
			return false
		case *ast.FuncLit:
			funcStack = append(funcStack, n.Type)
			ast.Inspect(n.Body, walk)
			funcStack = funcStack[:len(funcStack)-1]
			return false
		case *ast.BinaryExpr:
			if alts, ok := swap[n.Op]; ok && oneLine(n) && !inConst(n) {
				for _, alt := range alts {
					x, y, op := n.X, n.Y, n.Op
					desc := fmt.Sprintf("%s → %s in %s", op, alt, short(text(n)))
					add(n, kindOf(op), desc, func(id int, r func(int, int) string) string {
						tx, ty := r(off(x.Pos()), off(x.End())), r(off(y.Pos()), off(y.End()))
						return fmt.Sprintf("func() bool { if zzMutantOn(%d) { return (%s) %s (%s) }; return (%s) %s (%s) }()", id, tx, alt, ty, tx, op, ty)
					})
				}
			}
		case *ast.IfStmt:
			negateCond(n.Cond)
		case *ast.ForStmt:
			negateCond(n.Cond)
		case *ast.ReturnStmt:
			if len(funcStack) == 0 {
				break
			}
			ft := funcStack[len(funcStack)-1]
			if ft.Results == nil || len(n.Results) == 0 || len(n.Results) != countResults(ft) {
				break
			}
			last := ft.Results.List[len(ft.Results.List)-1].Type
			if id, ok := last.(*ast.Ident); !ok || id.Name != "error" {
				break
			}
			e := n.Results[len(n.Results)-1]
			if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
				break
			}
			add(e, "swallow", fmt.Sprintf("return nil instead of %s", short(text(e))), func(id int, r func(int, int) string) string {
				return fmt.Sprintf("zzMutantErr(%d, %s)", id, r(off(e.Pos()), off(e.End())))
			})
		case *ast.BlockStmt:
			dropStmts(n.List, add, text, off)
		case *ast.CaseClause:
			dropStmts(n.Body, add, text, off)
		case *ast.CommClause:
			dropStmts(n.Body, add, text, off)
		}
		return true
	}
	ast.Inspect(f, walk)

	// Ids in source order; nested sites are rendered inside their parents.
	sort.SliceStable(sites, func(i, j int) bool {
		if sites[i].start != sites[j].start {
			return sites[i].start < sites[j].start
		}
		return sites[i].end > sites[j].end // outer first
	})
	mutants := make([]Mutant, len(sites))
	for i, s := range sites {
		s.ID = *next
		*next++
		mutants[i] = s.Mutant
	}
	var render func(start, end int, from int) string
	// render returns src[start:end] with every site inside it (from index
	// from on) rewritten; a site covering exactly [start,end) is not applied
	// again (it is the caller).
	render = func(start, end int, from int) string {
		var b strings.Builder
		pos := start
		for i := from; i < len(sites); i++ {
			s := sites[i]
			if s.start < pos || s.end > end {
				continue // before us, inside an already rendered site, or outside
			}
			if s.start >= end {
				break
			}
			b.Write(src[pos:s.start])
			// Nested sites with the same range as s come after it in the
			// order; they apply inside s's rewrite.
			j := i
			sub := func(a, z int) string { return render(a, z, j+1) }
			b.WriteString(s.rewrite(s.ID, sub))
			pos = s.end
		}
		b.Write(src[pos:end])
		return b.String()
	}
	return render(0, len(src), 0), mutants, nil
}

// dropStmts adds a drop mutant for every statement of a list that can go
// without changing the scope (calls, plain assignments, defer, go, ++/--).
//
// A `defer cancel()` whose cancel comes from context.WithCancel, WithTimeout
// or WithDeadline (and their Cause variants) in the same block is not
// dropped: without it `go vet` (lostcancel) refuses the code, so the mutant
// could never be committed (the project's gate runs go vet), and what it
// changes, a timer or goroutine kept until the context ends by itself, no
// test can observe.
func dropStmts(list []ast.Stmt, add func(ast.Node, string, string, func(int, func(int, int) string) string), text func(ast.Node) string, off func(token.Pos) int) {
	cancels := map[string]bool{}
	for _, st := range list {
		if a, ok := st.(*ast.AssignStmt); ok && len(a.Rhs) == 1 && len(a.Lhs) == 2 && isContextWith(a.Rhs[0]) {
			if id, ok := a.Lhs[1].(*ast.Ident); ok {
				cancels[id.Name] = true
			}
		}
		switch s := st.(type) {
		case *ast.DeferStmt:
			if id, ok := s.Call.Fun.(*ast.Ident); ok && len(s.Call.Args) == 0 && cancels[id.Name] {
				continue // go vet's lostcancel refuses the mutant
			}
		}
		switch s := st.(type) {
		case *ast.ExprStmt:
			if c, ok := s.X.(*ast.CallExpr); ok {
				if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "panic" {
					continue // dropping it only makes the function not compile
				}
			}
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				continue
			}
		case *ast.IncDecStmt, *ast.DeferStmt, *ast.GoStmt, *ast.SendStmt:
		default:
			continue
		}
		st := st
		add(st, "drop", fmt.Sprintf("drop %s", short(text(st))), func(id int, r func(int, int) string) string {
			return fmt.Sprintf("if !zzMutantOn(%d) { %s }", id, r(off(st.Pos()), off(st.End())))
		})
	}
}

// isContextWith reports whether e calls context.WithCancel, WithTimeout,
// WithDeadline or a Cause variant: the functions whose cancel go vet's
// lostcancel check insists be called.
func isContextWith(e ast.Expr) bool {
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok || pkg.Name != "context" {
		return false
	}
	switch sel.Sel.Name {
	case "WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause", "WithTimeoutCause", "WithDeadlineCause":
		return true
	}
	return false
}

// resultShape is "error" for a function returning only an error, "none" for
// one returning nothing (neither named), "" otherwise.
func resultShape(ft *ast.FuncType) string {
	if ft.Results == nil || len(ft.Results.List) == 0 {
		return "none"
	}
	if len(ft.Results.List) == 1 && len(ft.Results.List[0].Names) <= 1 {
		if id, ok := ft.Results.List[0].Type.(*ast.Ident); ok && id.Name == "error" {
			return "error"
		}
	}
	return ""
}

func countResults(ft *ast.FuncType) int {
	n := 0
	for _, f := range ft.Results.List {
		if len(f.Names) == 0 {
			n++
		} else {
			n += len(f.Names)
		}
	}
	return n
}

// short is a one-line, bounded excerpt of source text for reports.
func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// helperFile is the switchboard added to the mutated package.
const helperFile = `package %s

import (
	"os"
	"strconv"
	"sync"
)

var (
	zzMutantOnce  sync.Once
	zzMutantID    = -1
	zzMutantMu    sync.Mutex
	zzMutantSeen  = map[int]bool{}
	zzMutantTrace *os.File
)

// zzMutantOn reports whether mutant id is the active one, and records that
// the tests reached it.
func zzMutantOn(id int) bool {
	zzMutantOnce.Do(func() {
		if v, err := strconv.Atoi(os.Getenv("CENTRAL_MUTANT")); err == nil {
			zzMutantID = v
		}
		if p := os.Getenv("CENTRAL_MUTANT_TRACE"); p != "" {
			zzMutantTrace, _ = os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		}
	})
	if zzMutantTrace != nil {
		zzMutantMu.Lock()
		if !zzMutantSeen[id] {
			zzMutantSeen[id] = true
			zzMutantTrace.WriteString(strconv.Itoa(id) + "\n")
		}
		zzMutantMu.Unlock()
	}
	return id == zzMutantID
}

func zzMutantNot(id int, b bool) bool {
	if zzMutantOn(id) {
		return !b
	}
	return b
}

func zzMutantErr(id int, err error) error {
	if zzMutantOn(id) {
		return nil
	}
	return err
}
`
