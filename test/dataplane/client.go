package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Clients and servers that live in a namespace: the socket is created
// inside it (Do), and then used from any goroutine as usual.

// Dial connects from inside a namespace; src, if valid, is the source address.
func Dial(ctx context.Context, nsName, network, addr string, src netip.Addr) (net.Conn, error) {
	var conn net.Conn
	err := Do(nsName, func() error {
		d := net.Dialer{}
		if src.IsValid() {
			d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
			if network == "udp" {
				d.LocalAddr = &net.UDPAddr{IP: src.AsSlice()}
			}
		}
		var err error
		conn, err = d.DialContext(ctx, network, addr)
		return err
	})
	return conn, err
}

// Listen listens inside a namespace.
func Listen(nsName, network, addr string) (net.Listener, error) {
	var l net.Listener
	err := Do(nsName, func() error {
		var err error
		l, err = net.Listen(network, addr)
		return err
	})
	return l, err
}

// HTTPGet fetches url from inside a namespace with a fresh connection (no
// keep-alive: each call is a new flow, as a load balancer sees it).
func HTTPGet(ctx context.Context, nsName, url string, src netip.Addr) (string, error) {
	tr := &http.Transport{DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return Dial(ctx, nsName, network, addr, src)
		}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

var pingSeq atomic.Int64

// Ping sends one ICMP echo from inside a namespace and waits for the reply.
func Ping(ctx context.Context, nsName string, dst netip.Addr, timeout time.Duration) error {
	var c *icmp.PacketConn
	err := Do(nsName, func() error {
		var err error
		c, err = icmp.ListenPacket("ip4:icmp", "0.0.0.0")
		return err
	})
	if err != nil {
		return fmt.Errorf("ping socket in %s: %w", nsName, err)
	}
	defer c.Close()
	// A new echo id per call: conntrack keys ICMP echoes by id, so each
	// ping is a new flow that the firewall judges afresh (GCE's firewall is
	// stateful: a flow it admitted stays admitted).
	id := int((int64(os.Getpid())<<4 + pingSeq.Add(1)) & 0xffff)
	seq := int(time.Now().UnixNano() & 0x7fff)
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("gcevpc")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return fmt.Errorf("ping %s: %w", dst, err)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetReadDeadline(deadline)
	buf := make([]byte, 1500)
	for {
		n, peer, err := c.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("ping %s from %s: no reply in %v", dst, nsName, timeout)
			}
			return err
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id && e.Seq == seq && peer.String() == dst.String() {
			return nil
		}
	}
}
