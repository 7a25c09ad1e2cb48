package tcrops

import (
	"context"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Replica is a replica of an instance in another region.
type Replica struct {
	ID, Region string
	RegionID   uint64
}

// maxReplicas is the most replicas asked for: far more than there are
// regions.
const maxReplicas = 100

// Replicas lists the instance's replicas, and how many the answer counts
// in all (more than it listed: a page the step did not read).
func (in Instance) Replicas(ctx context.Context) ([]Replica, int64, error) {
	type answer struct {
		list  []Replica
		total int64
	}
	a, _, err := tcrapi.Do(tcrapi.About(ctx, in.ID), in.API, "DescribeReplicationInstances", func(ctx context.Context) (answer, string, error) {
		req := tcr.NewDescribeReplicationInstancesRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.Limit = common.Int64Ptr(maxReplicas)
		resp, err := in.Client.DescribeReplicationInstancesWithContext(ctx, req)
		if err != nil {
			return answer{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeReplicationInstancesResponseParams) *string { return r.RequestId })
		if err != nil {
			return answer{}, "", err
		}
		// Asked for at most 100, one per region: more is no real answer,
		// and each would be polled and told of.
		if n := len(resp.Response.ReplicationRegistries); n > maxReplicas {
			return answer{}, "", tcrapi.BadAnswer("DescribeReplicationInstances listed %d replicas when asked for at most %d", n, maxReplicas)
		}
		var a answer
		for _, r := range resp.Response.ReplicationRegistries {
			if r == nil || tcrapi.Field(r.RegistryId) != "" && tcrapi.Field(r.RegistryId) != in.ID {
				continue // another instance's
			}
			rp := Replica{ID: tcrapi.Field(r.ReplicationRegistryId), Region: tcrapi.Field(r.ReplicationRegionName), RegionID: tcrapi.Field(r.ReplicationRegionId)}
			if !IsInstanceID(rp.ID) || !IsRegion(rp.Region) {
				return answer{}, "", tcrapi.BadAnswer("DescribeReplicationInstances gave a replica %.80q in the region %.80q", rp.ID, rp.Region)
			}
			a.list = append(a.list, rp)
		}
		a.total = tcrapi.Field(resp.Response.TotalCount)
		return a, id, nil
	})
	return a.list, a.total, err
}

// SyncStatus is a replica's sync status: its word, and when it finished.
type SyncStatus struct{ Word, At string }

// SyncStatus reads how far replica r has synced.
func (in Instance) SyncStatus(ctx context.Context, r Replica) (SyncStatus, error) {
	st, _, err := tcrapi.Do(tcrapi.About(ctx, r.ID), in.API, "DescribeReplicationInstanceSyncStatus", func(ctx context.Context) (SyncStatus, string, error) {
		req := tcr.NewDescribeReplicationInstanceSyncStatusRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.ReplicationRegistryId = common.StringPtr(r.ID)
		if r.RegionID != 0 {
			req.ReplicationRegionId = common.Uint64Ptr(r.RegionID)
		}
		resp, err := in.Client.DescribeReplicationInstanceSyncStatusWithContext(ctx, req)
		if err != nil {
			return SyncStatus{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeReplicationInstanceSyncStatusResponseParams) *string { return r.RequestId })
		if err != nil {
			return SyncStatus{}, "", err
		}
		st := SyncStatus{tcrapi.Field(resp.Response.ReplicationStatus), tcrapi.Field(resp.Response.ReplicationTime)}
		if len(st.Word) > 64 || len(st.At) > 64 {
			return SyncStatus{}, "", tcrapi.BadAnswer("DescribeReplicationInstanceSyncStatus gave a status of %d bytes and a time of %d", len(st.Word), len(st.At))
		}
		return st, id, nil
	})
	return st, err
}
