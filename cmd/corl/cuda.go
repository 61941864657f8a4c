//go:build cuda

package main

// A cuda build registers the GPU backend with nn, where it becomes the
// default (CORL_NN_BACKEND=cpu overrides).
import _ "github.com/corl-go/corl/cuda"
