package startcmd

import (
	"fmt"
	"regexp"
	"strings"
)

// ProcfileError reports a Procfile line that is not "type: command".
type ProcfileError struct {
	Line int
	Text string
}

func (e *ProcfileError) Error() string {
	return fmt.Sprintf("Procfile line %d %q is not in the form \"type: command\"", e.Line, e.Text)
}

var procfileLine = regexp.MustCompile(`^([A-Za-z0-9_-]+)\s*:\s*(.+)$`)

type procfileEntry struct {
	Type, Command string
	Line          int
}

// parseProcfile reads "type: command" lines; blank lines and # comments are skipped. A type
// given twice keeps its last command, as Heroku does.
func parseProcfile(content string) ([]procfileEntry, error) {
	var out []procfileEntry
	index := map[string]int{}
	for i, line := range strings.Split(content, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := procfileLine.FindStringSubmatch(line)
		if m == nil || strings.TrimSpace(m[2]) == "" {
			return nil, &ProcfileError{Line: i + 1, Text: line}
		}
		e := procfileEntry{Type: m[1], Command: strings.TrimSpace(m[2]), Line: i + 1}
		if j, ok := index[e.Type]; ok {
			out[j] = e
			continue
		}
		index[e.Type] = len(out)
		out = append(out, e)
	}
	return out, nil
}
