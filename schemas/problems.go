package schemas

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem is one failed check of one field. Message is Simplified Chinese: it reaches users
// through every door; Field is the path of the field as the caller spelled it (items[2].grade).
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidError reports every problem of one object at once, so that a door can show them field
// by field. It is a kind of Err (a package's invalid sentinel), or of ErrInvalid when Err is nil.
type InvalidError struct {
	Subject  string // what was checked: "目录 0101/000001"
	Problems []Problem
	Err      error
}

// maxProblemsInText bounds how many problems Error and UserText name; Problems keeps them all.
const maxProblemsInText = 50

// Error renders the problems for the log, ending in the sentinel's text.
func (e *InvalidError) Error() string {
	return e.Subject + ": " + e.problemText() + ": " + e.Unwrap().Error()
}

// UserText renders the problems for users, in Simplified Chinese and within MaxUserMessage
// characters: "账号 c 校验未通过: districts[0]: …；role: …". Problems that do not fit are
// counted, not cut off unnamed. Unlike Error it carries no sentinel text.
func (e *InvalidError) UserText() string {
	head := "校验未通过"
	if e.Subject != "" {
		head = e.Subject + " " + head
	}
	if len(e.Problems) == 0 {
		return Clip(head, MaxUserMessage)
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(": ")
	const reserve = 20 // room for "；另有 N 处问题"
	used := utf8.RuneCountInString(head) + 2
	for i, p := range e.Problems {
		text := p.Field + ": " + p.Message
		if i > 0 {
			text = "；" + text
		}
		n := utf8.RuneCountInString(text)
		if i > 0 && (i == maxProblemsInText || used+n > MaxUserMessage-reserve) {
			fmt.Fprintf(&b, "；另有 %d 处问题", len(e.Problems)-i)
			break
		}
		b.WriteString(text)
		used += n
	}
	return Clip(b.String(), MaxUserMessage)
}

// problemText renders the problems for the log.
func (e *InvalidError) problemText() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i == maxProblemsInText {
			fmt.Fprintf(&b, "; 另有 %d 处问题", len(e.Problems)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
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

// maxQuoted bounds, in characters, a value quoted into a message, so that the explanation after
// it survives the message's own bound.
const maxQuoted = 64

// Quote returns a value taken from input for a Chinese message: clipped to 64 characters, in
// Chinese quotation marks, and Printable.
func Quote(s string) string {
	return "“" + Printable(Clip(s, maxQuoted)) + "”"
}

// Printable escapes control and other unprintable characters of s (as Go does in quoted
// strings), so that text taken from input cannot break a log line or drive a terminal.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}
