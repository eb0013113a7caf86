//! What every table adapter shares: items encoded with `serde_dynamo`, strongly consistent
//! reads by key, and newest-first queries by partition.

use std::collections::HashMap;

use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::page::Page;
use domain::{Error, Result};

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A count of items as a query's `Limit`.
pub(super) fn at_most(limit: usize) -> i32 {
    i32::try_from(limit).unwrap_or(i32::MAX)
}

pub(super) fn encode<T: serde::Serialize>(value: &T, what: &'static str) -> Result<Item> {
    serde_dynamo::to_item(value).with_context(|| format!("encoding {what}")).map_err(Error::Internal)
}

/// One table: the client and the table's name.
#[derive(Clone)]
pub(super) struct Table {
    pub(super) client: Client,
    pub(super) name: String,
}

impl Table {
    pub(super) fn new(client: Client, name: &str) -> Self {
        Self { client, name: name.to_owned() }
    }

    /// The item keyed `key`, read strongly consistent and decoded.
    pub(super) async fn get<T: serde::de::DeserializeOwned>(
        &self,
        key: (&str, &str),
        what: &'static str,
    ) -> Result<Option<T>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.name)
            .key(key.0, s(key.1))
            .consistent_read(true)
            .send()
            .await
            .with_context(|| format!("getting {what}"))?;
        output
            .item
            .map(|item| serde_dynamo::from_item(item).with_context(|| format!("decoding {what}")))
            .transpose()
            .map_err(Error::Internal)
    }

    /// A query of `index` for the items whose partition attribute holds the given value and,
    /// with `range`, whose sort attribute compares (`<`, `<=`, `>`, ...) with a value; the
    /// caller adds a limit or a projection and sends it.
    pub(super) fn index(
        &self,
        index: &str,
        (partition, value): (&str, AttributeValue),
        range: Option<(&str, &str, AttributeValue)>,
    ) -> QueryFluentBuilder {
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .index_name(index)
            .expression_attribute_names("#key", partition)
            .expression_attribute_values(":key", value);
        match range {
            None => query.key_condition_expression("#key = :key"),
            Some((sort, compare, bound)) => query
                .key_condition_expression(format!("#key = :key AND #sort {compare} :bound"))
                .expression_attribute_names("#sort", sort)
                .expression_attribute_values(":bound", bound),
        }
    }

    /// The item a keys-only `index` names for `partition` (its entry holds the table's key
    /// attribute `key`), read by that key, strongly consistent where the index is not; `None`
    /// when the index names none.
    pub(super) async fn named_by<T: serde::de::DeserializeOwned>(
        &self,
        index: &str,
        partition: (&str, AttributeValue),
        key: &str,
        what: &'static str,
    ) -> Result<Option<T>> {
        let output = self.index(index, partition, None).send().await.with_context(|| format!("finding {what}"))?;
        let Some(entry) = output.items.unwrap_or_default().into_iter().next() else { return Ok(None) };
        let value = entry
            .get(key)
            .and_then(|value| value.as_s().ok())
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("an entry of {index} without its {key}, finding {what}")))?;
        self.get((key, value), what).await
    }

    /// What `query` finds, decoded.
    pub(super) async fn found<T: serde::de::DeserializeOwned>(
        query: QueryFluentBuilder,
        what: &'static str,
    ) -> Result<Vec<T>> {
        let output = query.send().await.with_context(|| format!("finding {what}"))?;
        serde_dynamo::from_items(output.items.unwrap_or_default())
            .with_context(|| format!("decoding {what}"))
            .map_err(Error::Internal)
    }

    /// One page of `index` (the table itself when `None`), highest sort key (newest ULID)
    /// first, in one `Query` of at most `limit + 1` items whose partition attribute has the
    /// given value, after the item whose sort key is `after` (on every index here the sort
    /// key is the table's own key, so the start key is the sort key and the partition key):
    /// the items `keep` keeps (at most `limit`), and where the next page starts (`key` of
    /// the last item) when more may follow. A request reads a bounded number of items
    /// however many `keep` drops: a page may hold fewer than `limit`, even none, and still
    /// name a next page.
    pub(super) async fn newest_first<T: serde::de::DeserializeOwned>(
        &self,
        index: Option<&str>,
        partition: (&str, &str),
        after: Option<(&str, &str)>,
        limit: usize,
        (keep, key): (impl Fn(&T) -> bool, impl Fn(&T) -> String),
        what: &'static str,
    ) -> Result<Page<T>> {
        let start = after.map(|(sort, value)| {
            HashMap::from([(sort.to_owned(), s(value)), (partition.0.to_owned(), s(partition.1))])
        });
        let output = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression("#key = :value")
            .expression_attribute_names("#key", partition.0)
            .expression_attribute_values(":value", s(partition.1))
            .scan_index_forward(false)
            .limit(at_most(limit + 1))
            .set_exclusive_start_key(start)
            .send()
            .await
            .with_context(|| format!("listing {what}"))?;
        let read: Vec<T> =
            serde_dynamo::from_items(output.items.unwrap_or_default()).with_context(|| format!("decoding {what}"))?;
        let more = output.last_evaluated_key.is_some_and(|key| !key.is_empty()) || read.len() > limit;
        let last_read = read.last().map(&key);
        let kept: Vec<T> = read.into_iter().filter(|item| keep(item)).collect();
        if kept.len() > limit {
            return Ok(Page::from_overfetch(kept, limit, key));
        }
        Ok(Page { items: kept, next: if more { last_read } else { None } })
    }
}
