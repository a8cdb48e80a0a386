package catalog

// MayReadRawTable reports whether the decision a lets the principal read the entry's table as it
// is stored, through the Iceberg catalogue, where readers open the Parquet files themselves and no
// policy stands between them and the rows: only when the decision asks nothing of a reader —
// rows may be read (not aggregates only), every row (no row scope), every item in clear text
// with no mask. An item read in clear under a grant (ItemAccess.Unmasked) is refused too: each
// such read must be audited, and reads of the files are not.
func MayReadRawTable(a Access) bool {
	if !a.Exists || !a.Read || a.AggregatesOnly || a.MinGroupSize > 0 || a.Rows != nil {
		return false
	}
	for _, it := range a.Items {
		if !it.Visible || it.Mask != "" || it.Unmasked {
			return false
		}
	}
	return len(a.Items) > 0
}
