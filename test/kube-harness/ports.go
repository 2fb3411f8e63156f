package main

import "net"

// freePort asks the kernel for a free loopback TCP port. Another process may
// take it before we bind it; on a test machine that race is rare enough, and a
// component that fails to bind fails the start-up loudly.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
