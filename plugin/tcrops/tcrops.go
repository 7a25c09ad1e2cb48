// Package tcrops is the step's one room that talks to TCR: a typed
// function for each action the step sends, each building its request,
// calling through tcrapi (retries, limits, classification) and checking
// its answer in one place — so that what the answer holds is valid before
// anything above reads it. It is the only importer of internal/tcr:
// swapping in the SDK's tcr module, the day the proxy serves it, touches
// this package alone.
package tcrops

import (
	"strings"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Client is the TCR client of one region, signed with the run's
// credentials.
type Client = tcr.Client

// Instance is one TCR Enterprise instance (or a replica, an instance of
// its own in its region) as the step reaches it.
type Instance struct {
	ID     string
	Client *Client
	API    *tcrapi.Client
}

// IsInstanceID: an Enterprise instance ID, e.g. tcr-e8pg46c6: 1-64 of
// a-z 0-9 -.
func IsInstanceID(s string) bool {
	return s != "" && len(s) <= 64 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// IsRegion: a region such as ap-guangzhou or ap-shanghai-fsi: runs of
// a-z 0-9 joined by single hyphens, at least two of them.
func IsRegion(s string) bool {
	if len(s) > 64 || !strings.Contains(s, "-") {
		return false
	}
	for part := range strings.SplitSeq(s, "-") {
		if part == "" || strings.Trim(part, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}

// NewClient returns the TCR client that signs with cred for region:
// instances are regional, and a call signed for another region does not
// find one. It sends through api's guarded transport.
func NewClient(api *tcrapi.Client, cred common.CredentialIface, region string) *Client {
	client, _ := tcr.NewClient(cred, region, api.Profile())
	client.WithHttpTransport(api.HTTP())
	client.WithRequestClient("tcr-promote")
	return client
}
