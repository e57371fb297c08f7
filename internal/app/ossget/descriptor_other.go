//go:build !unix

package ossget

// descriptor: there are no /dev/fd paths to name a descriptor by here.
func descriptor(string) (int, bool) { return 0, false }

func checkDescriptor(string) error { return nil }
