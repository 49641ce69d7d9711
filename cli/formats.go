package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/dominikbraun/graph/draw"
	"github.com/spf13/cobra"

	"github.com/truss-dev/truss/converters"
)

func (a *app) formatsCmd() *cobra.Command {
	var typ, format string
	cmd := &cobra.Command{
		Use:   "formats [--type T] [--format dot]",
		Short: "List types, formats, validators and converters",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			regs := newRegistries()
			if typ != "" && !regs.formats.HasType(typ) {
				return usageErr("unknown type %q (known types: %s)", typ, strings.Join(regs.formats.Types(), ", "))
			}
			switch format {
			case "text":
				return a.writeFormatsText(regs, typ)
			case "dot":
				g, err := regs.converters.Graph()
				if err != nil {
					return err
				}
				return draw.DOT(g, a.stdout, draw.GraphAttribute("rankdir", "LR"))
			}
			return usageErr("--format %q: choose text or dot", format)
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "only this type")
	cmd.Flags().StringVar(&format, "format", "text", "text or dot (the converter graph)")
	return cmd
}

func (a *app) writeFormatsText(regs registries, only string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	types := regs.formats.Types()
	if only != "" {
		types = []string{only}
	}
	for _, t := range types {
		fmt.Fprintf(tw, "%s\n", t)
		for _, f := range regs.formats.Formats(t) {
			val := "-"
			if v, ok := regs.validators.Get(f.Type, f.Name); ok {
				val = converters.RuntimeName(v.Runtime)
			}
			exts := ""
			if len(f.Extensions) > 0 {
				exts = "." + strings.Join(f.Extensions, " .")
			}
			fmt.Fprintf(tw, "  %s\t%s\tvalidator: %s\t%s\t%s\n", f.Name, f.Rep, val, exts, f.Description)
		}
		for _, c := range regs.converters.All() {
			if c.Type != t {
				continue
			}
			lossy := ""
			if c.Lossy {
				lossy = " lossy"
			}
			fmt.Fprintf(tw, "  %s → %s\t%s%s\tweight %d\t\t\n", c.From, c.To, converters.RuntimeName(c.Runtime), lossy, c.Weight())
		}
	}
	return tw.Flush()
}
