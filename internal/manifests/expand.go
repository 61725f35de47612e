package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	yamlv3 "go.yaml.in/yaml/v3"
)

// The YAML decoder every reader of this project goes through (sigs.k8s.io/yaml, over
// go.yaml.in/yaml/v2) expands aliases as it converts a document to JSON: one large string anchored
// once and aliased a hundred times becomes a hundred copies. Its own guard counts alias nodes (the
// classic billion laughs, many small nodes, is refused) but not their bytes, so a 10 KB package
// made inspect use 590 MB. expansion measures what a document expands to before anything decodes
// it, from the parse tree of go.yaml.in/yaml/v3, which keeps an alias as a pointer to its anchor
// instead of copying it: the measure costs memory linear in the document's own bytes.

// expansion is what one document expands to.
type expansion struct {
	// size is the document's bytes with every alias replaced by what its anchor holds (as
	// measure counts it), saturated at maxSize.
	size int64
	// aliases counts the alias nodes written in the document.
	aliases int
	// anchorLine is the line of the document's first anchor, 0 when it has none.
	anchorLine int
}

// maxSize is where sizes saturate: far beyond any limit, and far from overflowing.
const maxSize = math.MaxInt64 / 4

func add(a, b int64) int64 { return min(a+b, maxSize) }

// mayAlias says whether a document can hold an alias at all: one needs an anchor (&name) and an
// alias (*name), and the parser refuses an alias whose anchor it has not seen.
func mayAlias(data []byte) bool {
	return bytes.IndexByte(data, '&') >= 0 && bytes.IndexByte(data, '*') >= 0
}

// measure returns what the YAML in data expands to. Without an anchor and an alias, that is its
// length; otherwise its length plus, for every alias written in it, what the alias stands for:
// the content of its anchor's node (scalars with their quotes and separators, collections with
// their brackets, about the size of its JSON), aliases within it expanded in turn. Each anchored
// node is measured once, so measure takes time and memory linear in the document. An alias within
// its own anchor, which the decoder would refuse, is an error, as is YAML it cannot parse.
func measure(data []byte, anchors bool) (expansion, error) {
	e := expansion{size: int64(len(data))}
	if !mayAlias(data) && !(anchors && bytes.IndexByte(data, '&') >= 0) {
		return e, nil
	}
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	m := &measurer{sizes: map[*yamlv3.Node]int64{}}
	for {
		var doc yamlv3.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return e, nil
		}
		if err != nil {
			return e, err
		}
		// Every node written in the document is visited once; an alias adds what its anchor
		// holds, measured (and remembered) by content.
		stack := []*yamlv3.Node{&doc}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if n.Anchor != "" && e.anchorLine == 0 {
				e.anchorLine = max(n.Line, 1)
			}
			if n.Kind == yamlv3.AliasNode {
				e.aliases++
				s, err := m.content(n)
				if err != nil {
					return e, err
				}
				e.size = add(e.size, s)
				continue
			}
			stack = append(stack, n.Content...)
		}
	}
}

// measurer measures the content of nodes, remembering that of anchored ones.
type measurer struct {
	// sizes are the contents of anchored nodes measured so far; -1 while one is being measured.
	sizes map[*yamlv3.Node]int64
}

var errSelfAlias = errors.New("an alias refers to the node that holds it: the document would be infinite")

// content is what a node expands to. It recurses as deep as the document nests, which the parser
// bounds (10,000 levels).
func (m *measurer) content(n *yamlv3.Node) (int64, error) {
	if n.Kind == yamlv3.AliasNode {
		if n.Alias == nil {
			return 0, fmt.Errorf("alias *%s refers to no anchor", n.Value)
		}
		return m.content(n.Alias)
	}
	if n.Anchor != "" {
		switch s, ok := m.sizes[n]; {
		case ok && s < 0:
			return 0, errSelfAlias
		case ok:
			return s, nil
		}
		m.sizes[n] = -1
	}
	var s int64
	switch n.Kind {
	case yamlv3.ScalarNode:
		s = int64(len(n.Value)) + 3 // quotes and a separator
	default:
		s = 2 // brackets
		for _, c := range n.Content {
			cs, err := m.content(c)
			if err != nil {
				return 0, err
			}
			s = add(s, add(cs, 1))
		}
	}
	if n.Anchor != "" {
		m.sizes[n] = s
	}
	return s, nil
}
