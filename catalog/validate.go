package catalog

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/cqeco/ecolake/schemas"
)

// problems collects every validation failure of one object so that a steward fixes them in one go.
// Subjects and messages are Simplified Chinese: they reach users through every door
// (schemas.InvalidError.UserText); values taken from input are quoted with schemas.Quote.
type problems struct {
	subject func() string // rendered only when something failed: validation runs under the write lock
	list    []schemas.Problem
	// draft relaxes completeness: a draft may leave required fields and codes empty, but what it
	// does give must be valid.
	draft bool
	// assigned: the entry's item ids were given by the catalogue (a stored version).
	assigned bool
}

// maxProblemText bounds one problem's message: messages quote the values they reject, and a
// value may be as long as its caller made it.
const maxProblemText = 300

func newProblems(format string, args ...any) *problems {
	return &problems{subject: func() string {
		return schemas.Printable(schemas.Clip(fmt.Sprintf(format, args...), maxProblemText))
	}}
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, schemas.Problem{Field: field, Message: schemas.Clip(fmt.Sprintf(format, args...), maxProblemText)})
}

// addErr records err (from a schemas check) under field, without its trailing sentinel text.
func (p *problems) addErr(field string, err error) {
	if err != nil {
		msg := strings.TrimSuffix(err.Error(), ": "+schemas.ErrInvalid.Error())
		if rest, ok := strings.CutPrefix(msg, field+":"); ok {
			msg = strings.TrimPrefix(rest, " ")
		}
		p.list = append(p.list, schemas.Problem{Field: field, Message: schemas.Clip(msg, maxProblemText)})
	}
}

func (p *problems) required(field, value string) {
	if !p.draft && strings.TrimSpace(value) == "" {
		p.add(field, "必填")
	}
}

func (p *problems) code(field string, list *schemas.CodeList, id string) {
	if p.draft && id == "" || list.Has(id) {
		return
	}
	p.addErr(field, list.Check(field, id))
}

// codeAt is code for a field whose name is built only when the value fails.
func (p *problems) codeAt(field func() string, list *schemas.CodeList, id string) {
	if p.draft && id == "" || list.Has(id) {
		return
	}
	p.code(field(), list, id)
}

// err returns a *schemas.InvalidError of kind ErrInvalid, or nil when nothing failed.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &schemas.InvalidError{Subject: p.subject(), Problems: p.list, Err: ErrInvalid}
}

var (
	resourceCodeRE = regexp.MustCompile(`^([0-9]{2,8})/([0-9]{1,12})$`)
	// 统一社会信用代码: 18 characters of the GB 32100 alphabet (no I, O, Z, S, V).
	creditCodeRE = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{18}$`)
	keyRE        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$`)
	tokenHashRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// checkKey validates an id chosen by a caller (run, snapshot, principal ids).
func (p *problems) key(field, value string) {
	if !keyRE.MatchString(value) {
		p.add(field, "%s须为 1 至 128 个英文字母、数字或 _ . : -，且以字母或数字开头", schemas.Quote(value))
	}
}
