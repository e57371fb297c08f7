//go:build unix

package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ossx/ossx/internal/command"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gtail": func() { os.Exit(command.Main(newApp(), os.Args, os.Stderr)) },
	})
}
