package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) planCmd() *cobra.Command {
	var format string
	var co compileOptions
	cmd := &cobra.Command{
		Use:   "plan SPEC",
		Short: "Show the compiled DAG: every step and every inserted convert/validate node",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			_, plan, err := loadAndCompile(a.stderr, newRegistries(), args[0], co)
			if err != nil {
				return err
			}
			switch format {
			case "text":
				return plan.WriteText(a.stdout)
			case "dot":
				return plan.WriteDOT(a.stdout)
			case "mermaid":
				return plan.WriteMermaid(a.stdout)
			case "json":
				return plan.WriteJSON(a.stdout)
			}
			return usageErr("--format %q: choose text, dot, mermaid or json", format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text, dot, mermaid or json")
	cmd.Flags().BoolVar(&co.noValidate, "no-validate", false, "plan without validate nodes")
	cmd.Flags().BoolVar(&co.noAutoConvert, "no-auto-convert", false, "plan without converters")
	return cmd
}

func (a *app) validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate SPEC",
		Short: "Report every problem of a spec as file:line:col: message; exit 0 when clean",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			roots, err := a.hostRoots()
			if err != nil {
				return err
			}
			_, plan, err := loadAndCompile(a.stderr, newRegistries(), args[0], compileOptions{hostRoots: roots})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: ok (%d nodes)\n", args[0], len(plan.Nodes))
			return nil
		},
	}
}
