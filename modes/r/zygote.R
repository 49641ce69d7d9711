# truss R zygote.
#
# One warm R session per pool slot. It loads jsonlite, parallel and the
# preloaded packages once, then forks a child per step (parallel's mcfork):
# the child starts from the zygote's empty global environment with those
# namespaces already loaded, runs the step and exits, so nothing one step
# defines is seen by the next.
#
# Channels (set up by Go): fd 0 carried this source and is at EOF (a step
# reading stdin gets nothing); fd 3 brings requests, one JSON line each;
# fd 4 takes the zygote's answers ("ready", "done <pid>"); fd 1 and 2 are the
# step log. Inputs and outputs are files in a per-request directory named by
# the request; the child writes its result header to req$result.
#
# Everything lives in this local() so the global environment stays empty.
local({
  args <- commandArgs(trailingOnly = TRUE)
  sentinel <- paste0("\036truss-end-", args[[1L]], "\n")
  if (!requireNamespace("jsonlite", quietly = TRUE)) {
    cat("R package jsonlite is not installed (Debian: r-cran-jsonlite; R: install.packages(\"jsonlite\"))\n", file = stderr())
    quit(save = "no", status = 3L)
  }
  loadNamespace("parallel")
  # Preloaded namespaces make library() in a step nearly free; they are
  # loaded, not attached, so a step's search path is R's default.
  for (pkg in args[-1L]) try(loadNamespace(pkg), silent = TRUE)

  reqs <- file("/dev/fd/3", open = "r")
  ctl <- file("/dev/fd/4", open = "w")
  tell <- function(...) {
    writeLines(paste(...), ctl)
    flush(ctl)
  }

  hint <- function(pkg) {
    sprintf("R package %s is not installed (Debian: r-cran-%s; R: install.packages(\"%s\"))",
            pkg, tolower(pkg), pkg)
  }

  read_text <- function(f) {
    n <- file.size(f)
    if (n == 0) return("")
    x <- readChar(f, n, useBytes = TRUE)
    Encoding(x) <- "UTF-8"
    x
  }

  read_input <- function(p) {
    switch(p$kind,
      json = jsonlite::fromJSON(read_text(p$file), simplifyVector = TRUE),
      text = read_text(p$file),
      bytes = readBin(p$file, "raw", file.size(p$file)),
      rds = {
        con <- file(p$file, "rb")
        on.exit(close(con))
        unserialize(con)
      },
      path = p$path,
      stop("unknown input kind ", p$kind))
  }

  write_raw <- function(bytes, f) writeBin(bytes, f)
  write_chars <- function(s, f) write_raw(charToRaw(enc2utf8(s)), f)

  write_json <- function(v, p, f) {
    if (is.data.frame(v) && identical(p$format, "rows")) {
      v <- list(fields = I(names(v)), rows = v)
    }
    # A list type stays a list when it has one element.
    if (is.atomic(v) && !is.null(p$type) && endsWith(p$type, "_list")) v <- I(v)
    txt <- jsonlite::toJSON(v, auto_unbox = TRUE, digits = NA, null = "null",
                            na = "null", dataframe = "rows")
    write_chars(as.character(txt), f)
  }

  what <- function(v) class(v)[[1L]]

  write_output <- function(p, v) {
    f <- p$file
    switch(p$kind,
      rds = {
        con <- file(f, "wb")
        on.exit(close(con))
        serialize(v, con)
        "rds"
      },
      text = {
        if (!is.character(v)) stop(sprintf("must be a character string, got %s", what(v)))
        write_chars(paste(v, collapse = "\n"), f)
        "text"
      },
      bytes = {
        if (!is.raw(v)) stop(sprintf("must be a raw vector, got %s", what(v)))
        write_raw(v, f)
        "bytes"
      },
      path = {
        if (!is.character(v) || length(v) != 1L) stop(sprintf("must be a path (one string), got %s", what(v)))
        write_chars(normalizePath(v, mustWork = FALSE), f)
        "path"
      },
      json = {
        tryCatch(write_json(v, p, f), error = function(e) {
          stop(sprintf("(%s) cannot be written as JSON: %s", what(v), conditionMessage(e)), call. = FALSE)
        })
        "json"
      },
      auto = {
        ok <- tryCatch({
          write_json(v, p, f)
          TRUE
        }, error = function(e) FALSE)
        if (ok) return("json")
        if (is.raw(v)) {
          write_raw(v, f)
          return("bytes")
        }
        stop(sprintf("(%s) is neither JSON-serialisable nor raw; declare a type and format for it (e.g. type: r, format: object)", what(v)))
      },
      stop("unknown output kind ", p$kind))
  }

  describe_error <- function(e) {
    msg <- conditionMessage(e)
    call <- conditionCall(e)
    # A stop() at the script's top level has eval() as its call: noise.
    if (!is.null(call) && !(is.call(call) && identical(call[[1L]], quote(eval)))) {
      msg <- paste0("Error in ", paste(deparse(call, nlines = 1L), collapse = ""), ": ", msg)
    } else {
      msg <- paste0("Error: ", msg)
    }
    pkg <- NULL
    if (inherits(e, "packageNotFoundError") && !is.null(e$package)) {
      pkg <- e$package
    } else {
      m <- regmatches(msg, regexec("there is no package called .([A-Za-z0-9._]+).", msg))[[1L]]
      if (length(m) == 2L) pkg <- m[[2L]]
    }
    if (!is.null(pkg)) msg <- paste0(msg, "; ", hint(pkg))
    msg
  }

  run_step <- function(req) {
    result <- function(x) {
      write_chars(as.character(jsonlite::toJSON(x, auto_unbox = TRUE, null = "null")), req$result)
    }
    g <- globalenv()
    setwd(req$workdir)
    # As in Girder Worker: `tempdir` is the step's work directory (calling
    # tempdir() still finds the function).
    assign("tempdir", req$workdir, envir = g)
    for (p in req$inputs) {
      v <- tryCatch(read_input(p), error = function(e) e)
      if (inherits(v, "error")) {
        return(result(list(ok = FALSE, stage = "input", port = p$name, message = conditionMessage(v))))
      }
      assign(p$name, v, envir = g)
    }
    exprs <- tryCatch(parse(text = req$script, keep.source = TRUE),
                      error = function(e) e)
    if (inherits(exprs, "error")) {
      return(result(list(ok = FALSE, stage = "parse", message = conditionMessage(exprs))))
    }
    refs <- attr(exprs, "srcref")
    line <- 0L
    err <- NULL
    withCallingHandlers(
      tryCatch({
        for (i in seq_along(exprs)) {
          line <- if (length(refs) >= i) refs[[i]][[1L]] else 0L
          eval(exprs[[i]], g)
        }
      }, error = function(e) err <<- e),
      warning = function(w) {
        at <- if (line > 0L) sprintf(" (script line %d)", line) else ""
        cat("Warning", at, ": ", conditionMessage(w), "\n", sep = "", file = stderr())
        invokeRestart("muffleWarning")
      })
    if (!is.null(err)) {
      return(result(list(ok = FALSE, stage = "script", line = line, message = describe_error(err))))
    }
    outs <- list()
    missing <- character(0)
    for (p in req$outputs) {
      if (!exists(p$name, envir = g, inherits = FALSE)) {
        missing <- c(missing, p$name)
        next
      }
      kind <- tryCatch(write_output(p, get(p$name, envir = g, inherits = FALSE)),
                       error = function(e) e)
      if (inherits(kind, "error")) {
        return(result(list(ok = FALSE, stage = "output", port = p$name, message = conditionMessage(kind))))
      }
      outs[[length(outs) + 1L]] <- list(name = p$name, kind = kind)
    }
    if (length(missing)) {
      inputs <- vapply(req$inputs, function(p) p$name, "")
      set <- setdiff(ls(g, all.names = FALSE), c("tempdir", inputs))
      return(result(list(ok = FALSE, stage = "missing", missing = I(missing), names = I(set))))
    }
    result(list(ok = TRUE, outputs = I(outs)))
  }

  child <- function(req) {
    close(reqs)
    close(ctl)
    tryCatch(run_step(req), error = function(e) {
      try(write_chars(as.character(jsonlite::toJSON(list(ok = FALSE, stage = "internal",
        message = conditionMessage(e)), auto_unbox = TRUE)), req$result), silent = TRUE)
    })
    flush(stdout())
    flush(stderr())
    parallel:::mcexit(0L)
  }

  tell("ready", paste(R.version$major, R.version$minor, sep = "."), Sys.getpid())
  repeat {
    line <- readLines(reqs, n = 1L)
    if (!length(line)) break
    req <- tryCatch(jsonlite::fromJSON(line, simplifyVector = FALSE), error = function(e) NULL)
    if (is.null(req)) {
      tell("error", "unreadable request")
      next
    }
    p <- parallel:::mcfork()
    if (inherits(p, "masterProcess")) child(req)
    # Waits for the child to exit and reaps it; it sends nothing back.
    suppressWarnings(parallel::mccollect(p, wait = TRUE))
    # Everything the child printed is in the log pipe before this.
    cat(sentinel)
    flush(stdout())
    tell("done", p$pid)
  }
})
