//go:build s3

package main

// Built with -tags s3, corl-beam reads and writes s3:// URLs through
// Beam's S3 filesystem (the AWS SDK's default configuration: environment,
// shared files, instance role). The AWS SDK adds 11 MB to the binary, so
// the default build leaves it out.

import _ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"

func init() { schemes = append(schemes, "s3") }
