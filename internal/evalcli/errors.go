package evalcli

import "github.com/corl-go/corl/internal/cliexit"

func usage(format string, args ...any) error { return cliexit.Usagef(format, args...) }

func input(err error) error { return cliexit.InputErr(err) }
