package sdk

import (
	"strconv"

	"github.com/BurntSushi/toml"
)

func tomlDecode(text string, v any) (toml.MetaData, error) { return toml.Decode(text, v) }

func quote(s string) string { return strconv.Quote(s) }
