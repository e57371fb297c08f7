// Package scripts holds no Go code of its own: its tests run the shell
// scripts of this directory (install.sh) as users do.
package scripts
