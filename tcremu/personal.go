package tcremu

// The Personal edition is tcremu/personal's; these let a test set its
// scene and read it back.

// AddPersonalNamespace creates a namespace in the Personal registry of
// region.
func (e *Emulator) AddPersonalNamespace(region, ns string) { e.personal.AddNamespace(region, ns) }

// PutPersonalImage points a tag of region's Personal registry at digest,
// creating the namespace and repository, as a docker push would.
func (e *Emulator) PutPersonalImage(region, ns, repo, tag, digest string) {
	e.personal.PutImage(region, ns, repo, tag, digest)
}

// LookupPersonal returns what a tag of region's Personal registry points
// at.
func (e *Emulator) LookupPersonal(region, ns, repo, tag string) (Image, bool) {
	return e.personal.Lookup(region, ns, repo, tag)
}
