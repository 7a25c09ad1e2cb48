package tcremu

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
)

// replica is an instance's replica in another region (TCR instance
// replication): an ID and a region of its own, holding what the main
// instance held lag ago — or, once it failed, what it held then.
type replica struct {
	id, region string
	lag        time.Duration
	created    time.Time
	failed     time.Time // zero while it syncs
}

// at is the moment of the main instance's history the replica shows at
// now. Must hold e.mu.
func (rp *replica) at(now time.Time) time.Time {
	at := now.Add(-rp.lag)
	if !rp.failed.IsZero() && rp.failed.Before(at) {
		return rp.failed
	}
	return at
}

// AddReplica gives an instance a replica in region whose content follows
// the main instance's lag behind. DescribeImages shows it to a call
// signed for region when the behaviour's ReplicaImages says so;
// DescribeReplicationInstanceSyncStatus tells its state either way.
func (e *Emulator) AddReplica(registryID, replicaID, region string, lag time.Duration) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.registries[registryID]
	if r == nil {
		return fmt.Errorf("no instance %s", registryID)
	}
	r.replicas = append(r.replicas, &replica{id: replicaID, region: region, lag: lag, created: e.now()})
	return nil
}

// FailReplica stops a replica's synchronisation: it keeps what it has, and
// its sync status says it failed.
func (e *Emulator) FailReplica(replicaID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.registries {
		for _, rp := range r.replicas {
			if rp.id == replicaID {
				rp.failed = e.now()
			}
		}
	}
}

// view finds what a DescribeImages call sees: the instance it names at
// now, or, if it names a replica of one in the request's region (and the
// behaviour lets replicas answer), the main instance as it was when the
// replica last caught up. Must hold e.mu.
func (e *Emulator) view(c call, id string) (r *registry, at time.Time, replica bool, aerr *api3.Error) {
	now := e.now()
	r, aerr = e.instance(c, id)
	if aerr == nil || !e.behaviour.ReplicaImages {
		return r, now, false, aerr
	}
	for _, main := range e.registries {
		for _, rp := range main.replicas {
			if rp.id == id && rp.region == c.region {
				return main, rp.at(now), true, nil
			}
		}
	}
	return nil, now, false, aerr
}

type describeReplicationInstancesParams struct {
	RegistryId *string `json:"RegistryId"`
	Offset     *int64  `json:"Offset"`
	Limit      *int64  `json:"Limit"`
}

// ReplicationRegistry is one entry of DescribeReplicationInstances.
type ReplicationRegistry struct {
	RegistryId            string `json:"RegistryId"`
	ReplicationRegistryId string `json:"ReplicationRegistryId"`
	ReplicationRegionId   uint64 `json:"ReplicationRegionId"`
	ReplicationRegionName string `json:"ReplicationRegionName"`
	Status                string `json:"Status"`
	CreatedAt             string `json:"CreatedAt"`
}

func (e *Emulator) describeReplicationInstances(c call, p *describeReplicationInstancesParams) (any, *api3.Error) {
	offset, limit, aerr := itemPage(p.Offset, p.Limit)
	if aerr != nil {
		return nil, aerr
	}
	return e.withInstance(c, p.RegistryId, func(r *registry) (any, *api3.Error) {
		list := []ReplicationRegistry{}
		for _, rp := range r.replicas {
			list = append(list, ReplicationRegistry{
				RegistryId: r.id, ReplicationRegistryId: rp.id, ReplicationRegionId: regionID(rp.region), ReplicationRegionName: rp.region,
				Status: "Running", CreatedAt: rp.created.UTC().Format(time.RFC3339),
			})
		}
		start, end := api3.Page(int64(len(list)), offset, limit)
		return map[string]any{"ReplicationRegistries": list[start:end], "TotalCount": len(list)}, nil
	})
}

// regionID is the number TCR gives a region: the ones of the console for
// the common regions, a stable one for any other.
func regionID(region string) uint64 {
	known := map[string]uint64{"ap-guangzhou": 1, "ap-shanghai": 4, "ap-hongkong": 5, "ap-beijing": 8, "ap-singapore": 9, "ap-tokyo": 25, "na-siliconvalley": 15, "eu-frankfurt": 17}
	if id, ok := known[region]; ok {
		return id
	}
	h := fnv.New32a()
	h.Write([]byte(region))
	return 100 + uint64(h.Sum32()%900)
}

type describeReplicationInstanceSyncStatusParams struct {
	RegistryId            *string `json:"RegistryId"`
	ReplicationRegistryId *string `json:"ReplicationRegistryId"`
	ReplicationRegionId   *uint64 `json:"ReplicationRegionId"`
	ShowReplicationLog    *bool   `json:"ShowReplicationLog"`
	Offset                *int64  `json:"Offset"`
	Limit                 *int64  `json:"Limit"`
}

// syncTime is how ReplicationTime is written: Beijing time without a
// zone, as the Tencent Cloud API writes its times.
const syncTime = "2006-01-02 15:04:05"

var beijing = time.FixedZone("CST", 8*3600)

// describeReplicationInstanceSyncStatus tells how far a replica has come:
// syncing while a write of the main instance has not reached it yet,
// caught up otherwise; ReplicationTime is when its last synchronisation
// finished.
func (e *Emulator) describeReplicationInstanceSyncStatus(c call, p *describeReplicationInstanceSyncStatusParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("ReplicationRegistryId", p.ReplicationRegistryId)); err != nil {
		return nil, err
	}
	return e.withInstance(c, p.RegistryId, func(r *registry) (any, *api3.Error) {
		var rp *replica
		for _, x := range r.replicas {
			if x.id == *p.ReplicationRegistryId {
				rp = x
			}
		}
		if rp == nil {
			return nil, api3.Errorf("ResourceNotFound", "The replication instance `%s` of `%s` does not exist.", *p.ReplicationRegistryId, r.id)
		}
		now := e.now()
		at := rp.at(now)
		// The newest write that has reached the replica, and whether a
		// newer one has not.
		last, pending := rp.created, false
		for _, ns := range r.namespaces {
			for _, repo := range ns.Repos {
				for _, v := range repo.Versions() {
					switch w := v.UpdateTime; {
					case w.After(at):
						pending = true
					case w.After(last):
						last = w
					}
				}
			}
		}
		words := e.behaviour.SyncWords
		status := words[0]
		switch {
		case !rp.failed.IsZero():
			status = words[2]
		case pending:
			status = words[1]
		}
		finished := last.Add(rp.lag)
		return map[string]any{"ReplicationStatus": status, "ReplicationTime": finished.In(beijing).Format(syncTime)}, nil
	})
}
