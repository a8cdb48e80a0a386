package query

import "strings"

// scan measures the text: its size, then its tokens and bracket nesting in one pass that
// understands strings, block strings and comments well enough that brackets inside them do not
// count. It need not reject what the parser would; it only has to count at least as much.
func (c Config) scan(doc string) *guardError {
	if len(doc) > c.MaxDocumentBytes {
		return tooComplex("maxDocumentBytes", len(doc), c.MaxDocumentBytes, "查询文档过大: %d 字节, 上限 %d 字节")
	}
	// graphql-go pads the marker under the column of a syntax error one space at a time, each
	// time copying the whole padding: a long line costs the square of its length.
	line, longest := 0, 0
	for i := 0; i < len(doc); i++ {
		if doc[i] == '\n' || doc[i] == '\r' {
			line = 0
			continue
		}
		line++
		longest = max(longest, line)
	}
	if longest > c.MaxLineBytes {
		return tooComplex("maxLineBytes", longest, c.MaxLineBytes, "查询文档单行过长: %d 字节, 上限 %d 字节 (请在词法单元之间换行)")
	}
	tokens, depth, maxDepth := 0, 0, 0
	for i := 0; i < len(doc); {
		ch := doc[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == ',':
			i++
			continue
		case strings.HasPrefix(doc[i:], "\uFEFF"):
			i += len("\uFEFF")
			continue
		case ch == '#':
			for i < len(doc) && doc[i] != '\n' && doc[i] != '\r' {
				i++
			}
			continue
		case strings.HasPrefix(doc[i:], `"""`):
			i = skipBlockString(doc, i+3)
		case ch == '"':
			i = skipString(doc, i+1)
		case strings.HasPrefix(doc[i:], "..."):
			i += 3
		case isNameStart(ch):
			for i++; i < len(doc) && (isNameStart(doc[i]) || isDigit(doc[i])); i++ {
			}
		case isDigit(ch) || ch == '-':
			for i++; i < len(doc) && (isDigit(doc[i]) || strings.IndexByte(".eE+-", doc[i]) >= 0); i++ {
			}
		case ch == '{' || ch == '[' || ch == '(':
			depth++
			maxDepth = max(maxDepth, depth)
			i++
		case ch == '}' || ch == ']' || ch == ')':
			depth = max(depth-1, 0)
			i++
		default:
			i++
		}
		tokens++
	}
	if maxDepth > c.MaxNesting {
		return tooComplex("maxNesting", maxDepth, c.MaxNesting, "查询嵌套过深: 括号嵌套 %d 层, 上限 %d 层")
	}
	if tokens > c.MaxTokens {
		return tooComplex("maxTokens", tokens, c.MaxTokens, "查询文档过于复杂: %d 个词法单元, 上限 %d 个")
	}
	return nil
}

// skipString returns the offset after the string whose body starts at i; an unterminated string
// ends at the line end, where the parser will complain.
func skipString(doc string, i int) int {
	for i < len(doc) {
		switch doc[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		case '\n', '\r':
			return i
		default:
			i++
		}
	}
	return len(doc)
}

// skipBlockString returns the offset after the block string whose body starts at i.
func skipBlockString(doc string, i int) int {
	for i < len(doc) {
		switch {
		case strings.HasPrefix(doc[i:], `\"""`):
			i += 4
		case strings.HasPrefix(doc[i:], `"""`):
			return i + 3
		default:
			i++
		}
	}
	return len(doc)
}

func isNameStart(b byte) bool { return b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }
func isDigit(b byte) bool     { return b >= '0' && b <= '9' }
