package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/truss-dev/truss/bindings"
	"github.com/truss-dev/truss/converters"
	"github.com/truss-dev/truss/formats"
	"github.com/truss-dev/truss/spec"
)

func (a *app) convertCmd() *cobra.Command {
	var typ, from, to, out string
	cmd := &cobra.Command{
		Use:   "convert --type T --from F --to G [IN] [-o OUT]",
		Short: "Convert a value between formats of one type (stdin → stdout when IN/OUT are absent)",
		Long: `Convert a value along the cheapest converter path.

Text formats are written as their text, data formats (rows, nested,
number, …) as JSON text, binary formats as raw bytes. Directory formats
take and give paths.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := ""
			if len(args) == 1 {
				in = args[0]
			}
			return a.convert(cmd.Context(), typ, from, to, in, out)
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "the value's type (table, tree, graph, …)")
	cmd.Flags().StringVar(&from, "from", "", "the input's format")
	cmd.Flags().StringVar(&to, "to", "", "the wanted format")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write here instead of stdout")
	for _, f := range []string{"type", "from", "to"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func (a *app) convert(ctx context.Context, typ, from, to, inPath, outPath string) error {
	regs := newRegistries()
	fromF, ok := regs.formats.Lookup(typ, from)
	if !ok {
		return usageErr("%v", unknownFormatErr(regs.formats, typ, from))
	}
	if _, ok := regs.formats.Lookup(typ, to); !ok {
		return usageErr("%v", unknownFormatErr(regs.formats, typ, to))
	}
	path, err := regs.converters.Path(typ, from, to)
	if err != nil {
		return usageErr("%v", err)
	}
	in, err := a.readConvertInput(regs, fromF, inPath)
	if err != nil {
		return err
	}
	ms, closeModes, err := a.newModes(regs, 1)
	if err != nil {
		return err
	}
	defer closeModes()
	work, err := os.MkdirTemp("", "truss-convert-")
	if err != nil {
		return err
	}
	v, err := converters.ConvertPath(ctx, converters.Env{WorkDir: work, Modes: ms}, path, in)
	if err != nil {
		os.RemoveAll(work)
		return &ExitError{Code: ExitFailed, Msg: err.Error()}
	}
	if v.Path != "" {
		if outPath == "" {
			fmt.Fprintln(a.stdout, v.Path) // the result lives in the temp dir: keep it
			return nil
		}
		defer os.RemoveAll(work)
		if err := bindings.Push(ctx, v, localBinding(outPath), regs.formats, ""); err != nil {
			return &ExitError{Code: ExitFailed, Msg: err.Error()}
		}
		return nil
	}
	defer os.RemoveAll(work)
	data, err := bindings.Bytes(v)
	if err != nil {
		return &ExitError{Code: ExitFailed, Msg: err.Error()}
	}
	if outPath == "" {
		_, err = a.stdout.Write(data)
		return err
	}
	return os.WriteFile(outPath, data, 0o644)
}

func (a *app) readConvertInput(regs registries, f formats.Format, inPath string) (formats.Value, error) {
	if f.Rep == formats.RepPath {
		if inPath == "" {
			return formats.Value{}, usageErr("%s/%s takes a path: give IN", f.Type, f.Name)
		}
		abs, err := filepath.Abs(inPath)
		if err != nil {
			return formats.Value{}, usageErr("%v", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return formats.Value{}, usageErr("cannot read %s: %v", inPath, unwrapPath(err))
		}
		return formats.Value{Type: f.Type, Format: f.Name, Path: abs}, nil
	}
	var data []byte
	var err error
	if inPath == "" {
		data, err = io.ReadAll(a.stdin)
	} else {
		data, err = os.ReadFile(inPath)
	}
	if err != nil {
		return formats.Value{}, usageErr("cannot read %s: %v", inPath, unwrapPath(err))
	}
	if f.Rep != formats.RepData {
		return formats.Value{Type: f.Type, Format: f.Name, Bytes: data}, nil
	}
	d, err := formats.DecodeJSON(data)
	if err != nil {
		return formats.Value{}, usageErr("%s/%s input must be JSON: %v", f.Type, f.Name, err)
	}
	v, err := bindings.FromData(regs.formats, f.Type, f.Name, d, "", "")
	if err != nil {
		return formats.Value{}, usageErr("%v", err)
	}
	return v, nil
}

func unknownFormatErr(reg *formats.Registry, typ, format string) error {
	if !reg.HasType(typ) {
		return fmt.Errorf("unknown type %q (known types: %s)", typ, strings.Join(reg.Types(), ", "))
	}
	return fmt.Errorf("unknown format %s/%s (known %s formats: %s)", typ, format, typ, strings.Join(reg.FormatNames(typ), ", "))
}

func localBinding(path string) *spec.Binding { return &spec.Binding{Mode: "local", Path: path} }
