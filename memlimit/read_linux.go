package memlimit

// Read is ReadSystem for this process on this system: the cgroup of the root file system.
func Read() (System, error) { return ReadSystem("/") }
