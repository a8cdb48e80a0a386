package rest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// errAddressRefused is a connection the source refuses to open, whatever the configuration says.
var errAddressRefused = errors.New("address refused")

// A steward configures the address a pull fetches and then reads what it fetched: an address
// that is no system's API — a cloud instance's metadata service (169.254.169.254), any other
// link-local, multicast or unspecified address — would let the configuration read what the
// service's host may reach and nobody else should. Such addresses are refused when the
// connection is made, after name resolution, so a name that resolves to one is refused too.
// Loopback and private addresses stay allowed: the vertical systems are on the government
// network, and tests serve on loopback.
func refuseAddress(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", network, errAddressRefused)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", network, errAddressRefused)
	}
	ip = ip.Unmap()
	if ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return fmt.Errorf("dial %s: %w", network, errAddressRefused)
	}
	return nil
}
