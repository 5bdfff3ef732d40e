//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import "io"

// readTerminalPassword cannot turn echo off here.
func readTerminalPassword(prompt string, stderr io.Writer) (string, error) {
	return "", errNoTerminal
}
