package testenv

import (
	"net"
	"net/http"
	"time"
)

// FreeAddress returns a loopback address with a port nobody listens on now, for a
// manager's metrics or probe endpoint.
func FreeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// HTTPStatus returns the status of a GET of url, or 0 when nothing answers.
func HTTPStatus(url string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
