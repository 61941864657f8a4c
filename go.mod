module github.com/corl-go/corl

go 1.26
