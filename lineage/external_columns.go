package lineage

// externalColumns adds, at column level, the fields an outside job's column lineage links to
// item field of entry code: upstream, the input fields of the jobs' outputs that are that item;
// downstream, the output fields of the jobs made from it. A field of an entry is shown as the
// entry's item (if the entry exists for the principal, else it counts as hidden); a field of an
// external dataset as a dataset node, which the walk does not expand.
func (w *tracer) externalColumns(code, field string, at int32, depth int, up bool) {
	if !w.hasExternal {
		return
	}
	for _, j := range w.v.ExternalJobsOf(code, up) {
		for _, o := range j.Outputs {
			if up && o.Entry != code {
				continue
			}
			for _, c := range o.Columns {
				if up {
					if c.Field != field {
						continue
					}
					for _, s := range c.Sources {
						w.externalColumn(s.Entry, s.Namespace, s.Name, s.Field, at, s.Via, depth, true)
					}
					continue
				}
				for _, s := range c.Sources {
					if s.Entry == code && s.Field == field {
						w.externalColumn(o.Entry, o.Namespace, o.Name, c.Field, at, s.Via, depth, false)
					}
				}
			}
		}
	}
}

// externalColumn adds one field linked through an outside job next to at.
func (w *tracer) externalColumn(entry, namespace, name, field string, at int32, via string, depth int, up bool) {
	if entry != "" {
		w.column(entry, field, at, via, depth, up)
		return
	}
	id, _ := w.add(Node{ID: "dataset:" + namespace + "/" + name + "." + field, Kind: KindDataset, Field: field,
		Name: name + "." + field, Depth: depth + 1})
	w.edge(at, id, via, up)
}
