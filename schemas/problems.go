package schemas

import (
	"fmt"
	"strings"
)

// Problem is one failed check of one field.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidError reports every problem of one object at once, so that a door can show them field
// by field. It is a kind of Err (a package's invalid sentinel), or of ErrInvalid when Err is nil.
type InvalidError struct {
	Subject  string // what was checked: "entry 0101/000001"
	Problems []Problem
	Err      error
}

// maxProblemsInText bounds how many problems Error names; Problems keeps them all.
const maxProblemsInText = 50

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString(e.Subject)
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i == maxProblemsInText {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	b.WriteString(": ")
	b.WriteString(e.Unwrap().Error())
	return b.String()
}

func (e *InvalidError) Unwrap() error {
	if e.Err == nil {
		return ErrInvalid
	}
	return e.Err
}

// Fields lists the fields with problems, each once, in order.
func (e *InvalidError) Fields() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range e.Problems {
		if !seen[p.Field] {
			seen[p.Field] = true
			out = append(out, p.Field)
		}
	}
	return out
}
