package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// Known configuration keys and their defaults. An environment variable
// TRUSS_<SECTION>_<KEY> (upper case, dots and dashes as underscores)
// overrides the file.
func configDefaults() map[string]string {
	return map[string]string{
		"python.executable":         "python3",
		"r.executable":              "Rscript",
		"docker.gc":                 "false",
		"docker.cache_timeout":      "3600",
		"docker.exclude_images":     "",
		"docker.allowed_host_paths": "",
	}
}

// checkSetting refuses a value its key cannot take, so a typo fails at
// `truss config set` rather than at the next run.
func checkSetting(key, v string) error {
	switch key {
	case "docker.gc":
		if _, err := strconv.ParseBool(v); err != nil {
			return usageErr("docker.gc must be true or false, not %q", v)
		}
	case "docker.cache_timeout":
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return usageErr("docker.cache_timeout must be a number of seconds (3600), not %q", v)
		}
	case "docker.allowed_host_paths":
		for _, p := range splitList(v) {
			if !filepath.IsAbs(p) {
				return usageErr("docker.allowed_host_paths must be absolute directories separated by commas, not %q", p)
			}
		}
	}
	return nil
}

// configPath is the config file: $TRUSS_CONFIG, else
// $XDG_CONFIG_HOME/truss/config.yaml, else ~/.config/truss/config.yaml.
func (a *app) configPath() string {
	if p := a.getenv("TRUSS_CONFIG"); p != "" {
		return p
	}
	dir := a.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := a.getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "truss", "config.yaml")
}

// config is section → key → value.
type config map[string]map[string]string

func (a *app) loadConfig() (config, error) {
	c := config{}
	data, err := os.ReadFile(a.configPath())
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", a.configPath(), err)
	}
	return c, nil
}

func (a *app) saveConfig(c config) error {
	p := a.configPath()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

func envKey(key string) string {
	return "TRUSS_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// setting returns a configuration value: environment, then file, then default.
func (a *app) setting(key string) (string, error) {
	if v := a.getenv(envKey(key)); v != "" {
		return v, nil
	}
	c, err := a.loadConfig()
	if err != nil {
		return "", err
	}
	section, name, _ := strings.Cut(key, ".")
	if v, ok := c[section][name]; ok {
		return v, nil
	}
	return configDefaults()[key], nil
}

func splitKey(key string) (string, string, error) {
	section, name, ok := strings.Cut(key, ".")
	if !ok || section == "" || name == "" {
		return "", "", usageErr("config key %q must be SECTION.KEY (e.g. python.executable)", key)
	}
	return section, name, nil
}

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config get|set|rm|list [SECTION.KEY] [VALUE]",
		Short: "Read and change settings (python.executable, …)",
	}
	cmd.AddCommand(&cobra.Command{
		Use: "get SECTION.KEY", Short: "Print a setting's value", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if _, _, err := splitKey(args[0]); err != nil {
				return err
			}
			v, err := a.setting(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if _, known := configDefaults()[args[0]]; !known && v == "" {
				return usageErr("no setting %s", args[0])
			}
			fmt.Fprintln(a.stdout, v)
			return nil
		},
	}, &cobra.Command{
		Use: "set SECTION.KEY VALUE", Short: "Change a setting", Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			section, name, err := splitKey(args[0])
			if err != nil {
				return err
			}
			if err := checkSetting(args[0], args[1]); err != nil {
				return err
			}
			c, err := a.loadConfig()
			if err != nil {
				return usageErr("%v", err)
			}
			if c[section] == nil {
				c[section] = map[string]string{}
			}
			c[section][name] = args[1]
			return a.saveConfig(c)
		},
	}, &cobra.Command{
		Use: "rm SECTION.KEY", Short: "Remove a setting (back to its default)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			section, name, err := splitKey(args[0])
			if err != nil {
				return err
			}
			c, err := a.loadConfig()
			if err != nil {
				return usageErr("%v", err)
			}
			delete(c[section], name)
			if len(c[section]) == 0 {
				delete(c, section)
			}
			return a.saveConfig(c)
		},
	}, &cobra.Command{
		Use: "list", Short: "Print every setting in effect", Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			c, err := a.loadConfig()
			if err != nil {
				return usageErr("%v", err)
			}
			all := map[string]string{}
			for k, v := range configDefaults() {
				all[k] = v
			}
			for s, kv := range c {
				for k, v := range kv {
					all[s+"."+k] = v
				}
			}
			keys := make([]string, 0, len(all))
			for k := range all {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v, _ := a.setting(k)
				fmt.Fprintf(a.stdout, "%s = %s\n", k, v)
			}
			return nil
		},
	})
	return cmd
}
