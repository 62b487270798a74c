"""Link analysis pages: the case graph, neighbourhoods, paths, ad clusters, jurisdictions."""
