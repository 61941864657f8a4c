package cliexit

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{Usagef("--n: %d", -1), Usage},
		{InputErr(fs.ErrNotExist), Input},
		{FailedErr(errors.New("trap")), Failed},
		{fmt.Errorf("wrapped: %w", InputErr(fs.ErrNotExist)), Input},
		{errors.New("plain"), 7},
	} {
		if got := Code(c.err, 7); got != c.want {
			t.Errorf("Code(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	if err := InputErr(fs.ErrNotExist); !errors.Is(err, fs.ErrNotExist) || err.Error() != fs.ErrNotExist.Error() {
		t.Errorf("InputErr hides its cause: %v", err)
	}
}
