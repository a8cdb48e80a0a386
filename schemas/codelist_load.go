package schemas

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Code lists are data: the embedded files under codelists/ are the defaults, and a directory of
// replacements (`--codelists DIR`) may correct them at start-up without a rebuild. Loading makes
// a candidate ListSet and checks each file on its own (syntax, columns, the ids and columns the
// code relies on); the catalogue then checks that no entry would be left with a code the
// candidate lacks; only then Install puts the candidate in place, before anything serves.

// ListSet is a complete set of code lists: the embedded ones, some perhaps replaced.
type ListSet struct {
	lists    map[string]*CodeList
	replaced []string // names of the lists read from a directory, sorted
}

// List returns the set's list of the given name.
func (s *ListSet) List(name string) (*CodeList, bool) { l, ok := s.lists[name]; return l, ok }

// Replaced names the lists the set took from a directory rather than the embedded files.
func (s *ListSet) Replaced() []string { return slices.Clone(s.replaced) }

// CodeListProblem is one fault of a replacement: its file and, when it concerns a place in the
// file, the line and the column (a field number, or for a syntax error the character).
type CodeListProblem struct {
	File    string
	Line    int // 1-based, 0 when the problem is the file as a whole
	Column  int // 1-based field number, 0 when none
	Char    int // 1-based character in the line, for syntax errors; 0 when none
	Message string
}

func (p CodeListProblem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, " 第 %d 行", p.Line)
	}
	switch {
	case p.Column > 0:
		fmt.Fprintf(&b, "第 %d 列", p.Column)
	case p.Char > 0:
		fmt.Fprintf(&b, "第 %d 个字符处", p.Char)
	}
	return b.String() + ": " + p.Message
}

// CodeListError refuses a directory of replacement code lists. It is a kind of ErrInvalid and
// its text, in Chinese, names every problem.
type CodeListError struct {
	Dir      string
	Problems []CodeListProblem
}

func (e *CodeListError) Error() string {
	lines := []string{fmt.Sprintf("代码表目录 %s 中的替换代码表有误, 未采用:", e.Dir)}
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

func (e *CodeListError) Unwrap() error       { return ErrInvalid }
func (e *CodeListError) UserMessage() string { return e.Error() }

// LoadCodeLists returns the embedded lists with those of dir in place of the embedded ones of
// the same name ("" for none). Every file of dir must be <list name>.csv, UTF-8, with the
// embedded file's columns (more are kept as extra columns), and keep the ids and columns the
// code relies on; anything else refuses the whole directory with a *CodeListError.
func LoadCodeLists(dir string) (*ListSet, error) {
	set := &ListSet{lists: map[string]*CodeList{}}
	for name := range specs {
		set.lists[name] = embeddedLists[name]
	}
	if dir == "" {
		return set, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, Userf(ErrInvalid, "无法读取代码表目录 %s: %s", dir, ioFailure(err))
	}
	cerr := &CodeListError{Dir: dir}
	for _, ent := range ents {
		name := strings.TrimSuffix(ent.Name(), ".csv")
		if _, known := specs[name]; !known || !strings.HasSuffix(ent.Name(), ".csv") || ent.IsDir() {
			cerr.Problems = append(cerr.Problems, CodeListProblem{File: ent.Name(),
				Message: "不是可替换的代码表文件 (文件名应为以下之一加 .csv: " + strings.Join(ListNames(), "、") + ")"})
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			cerr.Problems = append(cerr.Problems, CodeListProblem{File: ent.Name(), Message: "无法读取: " + ioFailure(err)})
			continue
		}
		l, probs := parseList(name, ent.Name(), b, embeddedHeads[name])
		if len(probs) > 0 {
			cerr.Problems = append(cerr.Problems, probs...)
			continue
		}
		set.lists[name] = l
		set.replaced = append(set.replaced, name)
	}
	if len(cerr.Problems) > 0 {
		return nil, cerr
	}
	sort.Strings(set.replaced)
	return set, nil
}

func ioFailure(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "不存在"
	case errors.Is(err, os.ErrPermission):
		return "没有读取权限"
	}
	return "读取失败"
}

// maxProblemsPerFile bounds what one bad file reports: the first faults say enough.
const maxProblemsPerFile = 20

// parseList reads one list file against its spec; want are the columns it must have (those of
// the embedded file).
func parseList(name, file string, b []byte, want []string) (*CodeList, []CodeListProblem) {
	spec := specs[name]
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // spreadsheets save UTF-8 with a BOM
	var probs []CodeListProblem
	add := func(line, col int, format string, args ...any) {
		if len(probs) < maxProblemsPerFile {
			probs = append(probs, CodeListProblem{File: file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
		}
	}
	if !utf8.Valid(b) {
		line := bytes.Count(b[:utf8Prefix(b)], []byte("\n")) + 1
		add(line, 0, "不是 UTF-8 编码 (请另存为 UTF-8 编码的 CSV)")
		return nil, probs
	}
	r := csv.NewReader(bytes.NewReader(b))
	head, err := r.Read()
	if err != nil {
		return nil, append(probs, csvProblem(file, b, err))
	}
	for i := range head {
		head[i] = strings.TrimSpace(head[i])
	}
	col := map[string]int{}
	for i, h := range head {
		if _, dup := col[h]; dup {
			add(1, i+1, "列名 %s 重复", Quote(h))
		}
		col[h] = i
	}
	for _, w := range want {
		if _, ok := col[w]; !ok {
			add(1, 0, "缺少列 %s (应有列: %s)", w, strings.Join(want, ","))
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	var rows [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, append(probs, csvProblem(file, b, err))
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		rows, lines = append(rows, rec), append(lines, line)
	}
	l, dupAt := newList(name, spec.idCol, head, rows)
	for _, d := range dupAt {
		add(lines[d], col[spec.idCol]+1, "代码 %s 重复", Quote(rows[d][col[spec.idCol]]))
	}
	for n, rec := range rows {
		for _, c := range []string{spec.idCol, "name"} {
			if rec[col[c]] == "" {
				add(lines[n], col[c]+1, "%s 不能为空", c)
			}
		}
		for c, least := range spec.ints {
			if v, err := strconv.Atoi(rec[col[c]]); err != nil || v < least {
				add(lines[n], col[c]+1, "%s 应为不小于 %d 的整数, 而不是 %s", c, least, Quote(rec[col[c]]))
			}
		}
	}
	if len(rows) == 0 {
		add(0, 0, "没有任何代码")
	}
	if len(probs) > 0 {
		return nil, probs
	}
	for _, id := range spec.required {
		if !l.Has(id) {
			add(0, 0, "缺少代码 %s: 程序依赖它, 只能改名称不能删除", id)
		}
	}
	if spec.closed {
		for n, c := range l.d().codes {
			if !slices.Contains(spec.required, c.ID) {
				add(lines[n], col[spec.idCol]+1, "不能新增代码 %s: 该代码表的代码由程序定义 (可用: %s)", Quote(c.ID), strings.Join(spec.required, "、"))
			}
		}
	}
	if spec.check != nil && len(probs) == 0 {
		if n, c, msg := spec.check(l); msg != "" {
			line, column := 0, 0
			if n >= 0 {
				line, column = lines[n], col[c]+1
			}
			add(line, column, "%s", msg)
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return l, nil
}

// csvProblem places a syntax error of the CSV reader: its line and the character (not byte)
// where it was found.
func csvProblem(file string, b []byte, err error) CodeListProblem {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return CodeListProblem{File: file, Message: "无法解析: " + err.Error()}
	}
	msg := "CSV 格式错误"
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		msg = "列数与表头不一致"
	case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
		msg = "引号使用有误 (字段中的引号应写成两个引号, 整个字段用引号括起)"
	}
	p := CodeListProblem{File: file, Line: pe.Line, Message: msg}
	if !errors.Is(pe.Err, csv.ErrFieldCount) {
		p.Char = charColumn(b, pe.Line, pe.Column)
	}
	return p
}

// charColumn turns the 1-based byte column of a line into a 1-based character column.
func charColumn(b []byte, line, byteCol int) int {
	lines := bytes.SplitN(b, []byte("\n"), line+1)
	if line < 1 || line > len(lines) || byteCol < 1 {
		return byteCol
	}
	text := lines[line-1]
	return utf8.RuneCount(text[:min(byteCol-1, len(text))]) + 1
}

// utf8Prefix is the length of the valid UTF-8 prefix of b.
func utf8Prefix(b []byte) int {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		n += size
	}
	return n
}

// newList builds a list from a header and rows; dupAt are the rows whose id repeats an earlier one.
func newList(name, idCol string, head []string, rows [][]string) (*CodeList, []int) {
	idI, nmI := slices.Index(head, idCol), slices.Index(head, "name")
	d := &listData{byID: map[string]int{}, byNm: map[string]int{}}
	var dupAt []int
	for n, r := range rows {
		c := Code{ID: r[idI], Name: r[nmI], Extra: map[string]string{}, Ordinal: len(d.codes)}
		for i, h := range head {
			if i != idI && i != nmI {
				c.Extra[h] = r[i]
			}
		}
		if _, dup := d.byID[c.ID]; dup {
			dupAt = append(dupAt, n)
			continue
		}
		d.byID[c.ID] = len(d.codes)
		if _, dup := d.byNm[c.Name]; !dup {
			d.byNm[c.Name] = len(d.codes)
		}
		d.codes = append(d.codes, c)
	}
	l := &CodeList{Name: name}
	l.data.Store(d)
	return l, dupAt
}

// embeddedLists and embeddedHeads are the lists as built in, read once.
var embeddedLists, embeddedHeads = func() (map[string]*CodeList, map[string][]string) {
	lists, heads := map[string]*CodeList{}, map[string][]string{}
	for name, spec := range specs {
		file := name + ".csv"
		b, err := codelistFS.ReadFile("codelists/" + file)
		if err != nil {
			panic(fmt.Sprintf("code list %s: %v", name, err))
		}
		head, _ := csv.NewReader(bytes.NewReader(b)).Read()
		heads[name] = head
		if !slices.Contains(head, spec.idCol) || !slices.Contains(head, "name") {
			panic(fmt.Sprintf("code list %s: no column %s or name", name, spec.idCol))
		}
		l, probs := parseList(name, file, b, head)
		if len(probs) > 0 {
			panic(fmt.Sprintf("embedded code list %s: %v", name, probs))
		}
		lists[name] = l
	}
	return lists, heads
}()

// embeddedList returns the package's list of that name, holding the embedded contents.
func embeddedList(name string) *CodeList {
	l := &CodeList{Name: name}
	l.data.Store(embeddedLists[name].d())
	return l
}

// Install makes set's lists the ones every package reads. It is meant for start-up, after the
// catalogue has checked the set and before anything serves: a request running across Install
// could see two versions of the lists. Lists are replaced whole, so no reader sees a half list.
func Install(set *ListSet) {
	for name, l := range set.lists {
		namedLists[name].data.Store(l.d())
	}
	derive()
}

// Current returns the installed lists as a set (tests put them back after replacing them).
func Current() *ListSet {
	set := &ListSet{lists: map[string]*CodeList{}}
	for name, l := range namedLists {
		c := &CodeList{Name: name}
		c.data.Store(l.d())
		set.lists[name] = c
	}
	return set
}
