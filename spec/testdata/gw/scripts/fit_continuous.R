library(ape)
result <- fit(tree, table, column, model)
treePlot <- plot(tree)
