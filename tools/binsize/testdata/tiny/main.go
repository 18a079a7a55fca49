// Command tiny is a program for the binsize tests: it links fmt and one table of its own.
package main

import "fmt"

// table is large enough to be the biggest symbol of package main.
var table = [4096]byte{1, 2, 3}

func main() {
	fmt.Println(len(table), table[1])
}
