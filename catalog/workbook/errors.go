package workbook

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cqeco/ecolake/schemas"
)

// Sentinels of the package. A workbook that cannot be read at all, or whose cells do not fit, is
// unprocessable content of a well-formed request; one over a limit is too large.
var (
	ErrInvalid  = schemas.Kind("invalid workbook", schemas.ErrUnprocessable)
	ErrTooLarge = schemas.Kind("workbook too large", schemas.ErrTooLarge)
)

// Problem is one thing wrong with a workbook, where a steward finds it. Row is 1-based as Excel
// shows it, 0 for the sheet as a whole; Column is the Excel letter and Header the column's
// Chinese name, both "" for a whole row or sheet.
type Problem struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Header  string `json:"header,omitempty"`
	Message string `json:"message"`
}

// Where is the place of the problem in Chinese: "目录 第3行 C列（信息资源名称）".
func (p Problem) Where() string {
	var b strings.Builder
	b.WriteString("工作表“" + p.Sheet + "”")
	if p.Row > 0 {
		fmt.Fprintf(&b, " 第%d行", p.Row)
	}
	if p.Column != "" {
		b.WriteString(" " + p.Column + "列")
		if p.Header != "" {
			b.WriteString("（" + p.Header + "）")
		}
	}
	return b.String()
}

// Error lists every problem found in a workbook (up to Limits.MaxProblems; Truncated says
// reading stopped there). Nothing of a workbook with problems is applied.
type Error struct {
	Problems  []Problem
	Truncated bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("workbook: %d problems, first: %s: %s", len(e.Problems), e.first().Where(), e.first().Message)
}

func (e *Error) Unwrap() error { return ErrInvalid }

func (e *Error) first() Problem {
	if len(e.Problems) == 0 {
		return Problem{}
	}
	return e.Problems[0]
}

// maxProblemsInText bounds how many problems UserMessage names; Problems keeps them all.
const maxProblemsInText = 20

// UserMessage is the Chinese account of the problems, bounded for an error body or a terminal.
func (e *Error) UserMessage() string {
	var b strings.Builder
	more := ""
	if e.Truncated {
		more = "以上"
	}
	fmt.Fprintf(&b, "工作簿有 %d 处%s问题，未导入任何内容", len(e.Problems), more)
	used := utf8.RuneCountInString(b.String())
	for i, p := range e.Problems {
		text := "；" + p.Where() + ": " + p.Message
		if i == maxProblemsInText || used+utf8.RuneCountInString(text) > schemas.MaxUserMessage-20 {
			fmt.Fprintf(&b, "；另有 %d 处", len(e.Problems)-i)
			break
		}
		b.WriteString(text)
		used += utf8.RuneCountInString(text)
	}
	return schemas.Clip(b.String(), schemas.MaxUserMessage)
}

// maxMessage bounds one problem's message: messages quote the cells they reject.
const maxMessage = 300

// collector gathers problems up to a bound; once full, reading stops.
type collector struct {
	list []Problem
	max  int
}

func (c *collector) add(p Problem) {
	if c.full() {
		return
	}
	p.Message = schemas.Clip(p.Message, maxMessage)
	c.list = append(c.list, p)
}

func (c *collector) full() bool { return len(c.list) >= c.max }

func (c *collector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	return &Error{Problems: c.list, Truncated: c.full()}
}
