// CLibPQ: libpq, the PostgreSQL C client library, as a Swift module.
//
// Includes <libpq-fe.h> and re-exposes the PG_DIAG_* error-field codes from
// <postgres_ext.h>. Those are macros expanding to character literals ('C',
// 'M', ...), which Swift does not import, so each gets a prefixed inline
// function returning the same code as an int, ready for PQresultErrorField.
// See PostgreSQL docs, libpq section 34.3.2 "PQresultErrorField".

#ifndef CONSULT_CLIBPQ_SHIM_H
#define CONSULT_CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <postgres_ext.h>

/// Severity, localized: ERROR, FATAL, PANIC, WARNING, NOTICE, ...
static inline int consult_pq_diag_severity(void) { return PG_DIAG_SEVERITY; }
/// Severity, never localized (PostgreSQL 9.6+).
static inline int consult_pq_diag_severity_nonlocalized(void) { return PG_DIAG_SEVERITY_NONLOCALIZED; }
/// The five-character SQLSTATE code (PostgreSQL docs, Appendix A).
static inline int consult_pq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
/// The primary human-readable message, one line.
static inline int consult_pq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
/// Optional secondary message with more detail; may span lines.
static inline int consult_pq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
/// Optional suggestion what to do about the problem.
static inline int consult_pq_diag_message_hint(void) { return PG_DIAG_MESSAGE_HINT; }
/// Decimal character index (1-based) into the statement where the error occurred.
static inline int consult_pq_diag_statement_position(void) { return PG_DIAG_STATEMENT_POSITION; }
/// Like statement position, but into an internally generated command.
static inline int consult_pq_diag_internal_position(void) { return PG_DIAG_INTERNAL_POSITION; }
/// The text of a failed internally generated command.
static inline int consult_pq_diag_internal_query(void) { return PG_DIAG_INTERNAL_QUERY; }
/// Call-stack traceback / context of the error.
static inline int consult_pq_diag_context(void) { return PG_DIAG_CONTEXT; }
/// Schema of the object the error is associated with.
static inline int consult_pq_diag_schema_name(void) { return PG_DIAG_SCHEMA_NAME; }
/// Table the error is associated with.
static inline int consult_pq_diag_table_name(void) { return PG_DIAG_TABLE_NAME; }
/// Table column the error is associated with.
static inline int consult_pq_diag_column_name(void) { return PG_DIAG_COLUMN_NAME; }
/// Data type the error is associated with.
static inline int consult_pq_diag_datatype_name(void) { return PG_DIAG_DATATYPE_NAME; }
/// Constraint the error is associated with.
static inline int consult_pq_diag_constraint_name(void) { return PG_DIAG_CONSTRAINT_NAME; }
/// Server source file that reported the error.
static inline int consult_pq_diag_source_file(void) { return PG_DIAG_SOURCE_FILE; }
/// Server source line that reported the error.
static inline int consult_pq_diag_source_line(void) { return PG_DIAG_SOURCE_LINE; }
/// Server source function that reported the error.
static inline int consult_pq_diag_source_function(void) { return PG_DIAG_SOURCE_FUNCTION; }

#endif
