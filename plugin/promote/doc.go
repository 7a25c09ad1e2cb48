// Package promote runs the promotions: for each, observe → decide → act —
// observe reads the registry (the source's digest, the destination, what
// else the decision needs), decide is a pure function from the settings
// and that observation to a plan, and act carries the plan out (the
// DuplicateImage call, the read-back) — concurrently for a batch, under
// the API's limits. A promotion file's repositories are listed once each
// (tagread); plan and check run the flow as a dry run, check turning what
// would change into drift. The Personal edition's flow is personal's, the
// gates' judgement supply's, what travels with an image carry's, signing
// kmssign's. It returns results (promotion); the step above it reports
// them.
package promote
