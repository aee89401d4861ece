package graph

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// now is the clock for %date:...% replacements (tests may swap it).
var now = time.Now

var tokenRE = regexp.MustCompile(`%([^%]+)%`)

// applyTextReplacements rewrites %date:FORMAT% and %Node.widget% tokens in
// filename_prefix widgets, as the frontend does before queueing; other
// tokens (%width% ...) are left for the server.
func applyTextReplacements(p *Prompt, c *converter) {
	for _, id := range p.Order {
		n := p.Nodes[id]
		s, ok := n.Inputs["filename_prefix"].(string)
		if !ok || !strings.Contains(s, "%") {
			continue
		}
		n.Inputs["filename_prefix"] = tokenRE.ReplaceAllStringFunc(s, func(tok string) string {
			body := tok[1 : len(tok)-1]
			if f, ok := strings.CutPrefix(body, "date:"); ok {
				return formatDate(f, now())
			}
			if v, ok := c.lookupWidget(p, body); ok {
				return strings.NewReplacer("/", "_", `\`, "_").Replace(v)
			}
			return tok
		})
	}
}

// lookupWidget finds "NodeName.widget": the node whose "Node name for S&R"
// property, or else title, is NodeName.
func (c *converter) lookupWidget(p *Prompt, body string) (string, bool) {
	i := strings.LastIndex(body, ".")
	if i <= 0 {
		return "", false
	}
	name, widget := body[:i], body[i+1:]
	for _, byTitle := range []bool{false, true} {
		for _, e := range c.order {
			n := p.Nodes[e.id]
			if n == nil {
				continue
			}
			match := false
			if byTitle {
				match = n.Title() == name
			} else {
				sr, _ := e.node.props["Node name for S&R"].(string)
				match = sr == name
			}
			if match {
				if v, ok := n.Inputs[widget]; ok {
					if _, isLink := v.(Link); !isLink {
						return pyStrJS(v), true
					}
				}
			}
		}
	}
	return "", false
}

// pyStrJS renders a widget value as JavaScript's String() would.
func pyStrJS(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// formatDate expands the frontend's date tokens: yyyy yy MM M dd d hh h mm m ss s.
func formatDate(f string, t time.Time) string {
	pad := func(n int) string { return fmt.Sprintf("%02d", n) }
	r := strings.NewReplacer(
		"yyyy", fmt.Sprint(t.Year()), "yy", pad(t.Year()%100),
		"MM", pad(int(t.Month())), "M", fmt.Sprint(int(t.Month())),
		"dd", pad(t.Day()), "d", fmt.Sprint(t.Day()),
		"hh", pad(t.Hour()), "h", fmt.Sprint(t.Hour()),
		"mm", pad(t.Minute()), "m", fmt.Sprint(t.Minute()),
		"ss", pad(t.Second()), "s", fmt.Sprint(t.Second()),
	)
	return r.Replace(f)
}
