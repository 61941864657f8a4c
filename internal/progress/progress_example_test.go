package progress_test

import (
	"fmt"
	"os"

	"github.com/corl-go/corl/internal/progress"
)

func ExampleNew() {
	batches := []float64{0.9, 0.7, 0.6}
	bar := progress.New(os.Stderr, "epoch 1", int64(len(batches)))
	defer bar.Finish()
	for _, loss := range batches {
		// ... one optimizer step ...
		bar.Add(1)
		bar.Describe(fmt.Sprintf("loss %.2f", loss))
	}
}
