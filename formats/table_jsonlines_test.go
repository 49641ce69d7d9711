package formats

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJSONLines(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		// Girder Worker's test_jsonlines.
		{"two objects", "{\"a\": 1, \"b\": 2}\n{\"a\": 3, \"b\": 4}", `[{"a":1,"b":2},{"a":3,"b":4}]`, ""},
		{"CRLF and a final line end", "{\"a\": 1}\r\n{\"$oid\": \"x\"}\r\n", `[{"a":1},{"$oid":"x"}]`, ""},
		{"empty", "", `[]`, ""},
		{"blank line", "{\"a\": 1}\n\n{\"a\": 2}", "", "jsonlines: line 2 is blank"},
		{"spaces only", "{}\n   \n", "", "jsonlines: line 2 is blank"},
		{"not an object", "{}\n[1]\n", "", "line 2: expected a JSON object, got list [1]"},
		{"bad JSON", "{}\n{\"a\" 1}\n", "", "line 2: invalid JSON at byte offset 5"},
		{"two values on a line", "{} {}", "", "line 1: invalid JSON: unexpected text after the value"},
		{"not UTF-8", "{\"a\": \"\xff\"}", "", "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := ParseJSONLines([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := EncodeJSON(list)
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			text, err := WriteJSONLines(list)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseJSONLines(text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(list, back); diff != "" {
				t.Errorf("write and read back (-want +got):\n%s", diff)
			}
		})
	}
	out, err := WriteJSONLines([]any{map[string]any{"b": 1.0, "a": []any{"x"}}, map[string]any{}})
	if err != nil || string(out) != "{\"a\":[\"x\"],\"b\":1.0}\n{}\n" {
		t.Errorf("WriteJSONLines = %q, %v", out, err)
	}
	if out, err := WriteJSONLines(nil); err != nil || out == nil || len(out) != 0 {
		t.Errorf("WriteJSONLines(nil) = %#v, %v; want empty non-nil text", out, err)
	}
	if _, err := WriteJSONLines([]any{map[string]any{}, "x"}); err == nil || !strings.Contains(err.Error(), "element 1: expected an object") {
		t.Errorf("WriteJSONLines of a string: %v", err)
	}
}
