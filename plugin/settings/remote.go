package settings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

// Remote is the destination instance when destination_image names another
// host than the source's: reached through the registry's protocol (no TCR
// API copies between instances), with credentials of its own when it
// belongs to another account.
type Remote struct {
	Host string // as destination_image names it, lower-case
	// Given (destination_registry_id and destination_region), else found
	// by the names the host suggests, in every region.
	RegistryID, Region string
	InstanceNames      []string
	Endpoint           string // destination_registry_endpoint; "" for https:// and Host
	// Another account's keys; all empty for the source's credentials.
	SecretID, SecretKey, SessionToken string
	RoleArn                           string // assumed with the source side's credentials
	SessionName                       string
	Duration                          time.Duration // of the role's credentials
	STSScheme, STSHost                string        // where the role is assumed (sts_endpoint)
}

// remoteKeys are the settings that only mean something with a destination
// on another instance.
var remoteKeys = []string{"DESTINATION_REGISTRY_ID", "DESTINATION_REGION", "DESTINATION_REGISTRY_ENDPOINT",
	"DESTINATION_SECRET_ID", "DESTINATION_SECRET_KEY", "DESTINATION_SESSION_TOKEN", "DESTINATION_ROLE_ARN"}

// remote reads the destination instance, when a destination names another
// host: one other instance a run, an Enterprise one on both sides.
func (p *parser) remote(s *Settings, c *Config) {
	// Each other host, and where it is first named: destination_image, or
	// the promotion file's line.
	var hosts, at []string
	for _, pr := range c.Pairs {
		if h := pr.Destination.Host; h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
			at = append(at, cmp.Or(pr.Where, p.l.Key("DESTINATION_IMAGE")))
		}
	}
	if len(hosts) == 0 {
		for _, k := range remoteKeys {
			if p.l.IsSet(k) {
				p.fail("%s is set, but no destination is on another instance than the source's", p.l.Key(k))
			}
		}
		return
	}
	key := at[0]
	switch {
	case len(hosts) > 1:
		p.fail("%s: two other registries (%s, %s): one run copies into one other instance", strings.Join(slices.Compact(at[:2]), ", "), hosts[0], hosts[1])
		return
	case c.Personal:
		p.fail("%s: %s is the Personal edition, which cannot be copied out of across instances; the source must be a TCR Enterprise instance", key, c.RegistryHost)
		return
	case c.Supply.Sign:
		p.fail("%s: sign: kms is not available for a destination on another instance; sign it there, or leave sign out", p.l.Key("SIGN"))
	}
	r := &Remote{Host: hosts[0], RegistryID: s.DestinationRegistryID, Region: s.DestinationRegion}
	kind, names, _ := imageref.ClassifyHost(r.Host)
	switch {
	case kind == imageref.HostPersonal:
		p.fail("%s: %s is the Personal edition: promotions across instances go into a TCR Enterprise instance", key, r.Host)
	case (r.RegistryID == "") != (r.Region == ""):
		p.fail("set %s and %s together, or neither (the instance is then found from the host)", p.l.Key("DESTINATION_REGISTRY_ID"), p.l.Key("DESTINATION_REGION"))
	case r.RegistryID == "" && kind != imageref.HostEnterprise:
		p.fail("%s: %s is not a TCR Enterprise domain (<name>%s): for an instance reached through a custom domain, set destination_registry_id and destination_region",
			key, r.Host, imageref.EnterpriseSuffix)
	case r.RegistryID == "":
		r.InstanceNames = names
	}
	if s.DestinationRegistryEndpoint != "" {
		if scheme, host := p.endpoint("DESTINATION_REGISTRY_ENDPOINT", s.DestinationRegistryEndpoint); host != "" {
			r.Endpoint = scheme + "://" + host
			if scheme == "http" && !isLoopback(host) {
				c.warnings = append(c.warnings, fmt.Sprintf("%s sends the destination's instance token over plain http to %s; use https outside a local emulator", p.l.Key("DESTINATION_REGISTRY_ENDPOINT"), host))
			}
		}
	}
	p.remoteAccess(s, c, r)
	c.Remote = r
}

// remoteAccess reads the destination's own credentials: keys, or a role
// the source side assumes; neither means the source's credentials.
func (p *parser) remoteAccess(s *Settings, c *Config, r *Remote) {
	r.SecretID, r.SecretKey, r.SessionToken = s.DestinationSecretID, s.DestinationSecretKey, s.DestinationSessionToken
	switch {
	case s.DestinationRoleArn != "" && (r.SecretID != "" || r.SecretKey != ""):
		p.fail("set %s or destination_secret_id/destination_secret_key, not both", p.l.Key("DESTINATION_ROLE_ARN"))
	case s.DestinationRoleArn != "":
		r.RoleArn = p.match("DESTINATION_ROLE_ARN", s.DestinationRoleArn, isRoleArn, "a role ARN: qcs::cam::uin/<uin>:roleName/<name>")
		r.SessionName = cmp.Or(s.RoleSessionName, sessionName(p.l))
		r.Duration = p.duration("ROLE_DURATION", s.RoleDuration)
		r.STSScheme, r.STSHost = p.endpoint("STS_ENDPOINT", s.STSEndpoint)
	case (r.SecretID == "") != (r.SecretKey == ""):
		p.fail("set %s and %s together", p.l.Key("DESTINATION_SECRET_ID"), p.l.Key("DESTINATION_SECRET_KEY"))
	case r.SessionToken != "" && r.SecretID == "":
		p.fail("%s needs destination_secret_id and destination_secret_key", p.l.Key("DESTINATION_SESSION_TOKEN"))
	}
}
