package tcremu

import (
	"net"
	"net/http"
)

// ServeLoopback serves h — the emulator, or one of its registries — on a
// loopback port of its own, as demo and the copy benchmark run them
// outside a test (where httptest does). It returns the URL and how to
// stop it.
func ServeLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
