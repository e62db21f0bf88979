//! Wire types (GitHub's JSON, REST and GraphQL) and their conversion into domain types.
//! Missing optional fields never fail a decode; unknown enum values are kept as "other".
