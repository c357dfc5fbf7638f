//! multi (atomic writes with per-op results), multiRead and sync.

use zookeeper_client::{
    Acls, CreateMode, Error, MultiReadResult, MultiWriteError, MultiWriteResult,
};

use crate::{expect_eq, within, At, Scenario};

pub async fn multi_and_sync(scenario: Scenario) -> Result<(), String> {
    let client = scenario.connect().await?;
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    let (m1, m2, m3) = (
        scenario.path("m1"),
        scenario.path("m2"),
        scenario.path("m3"),
    );

    let mut writer = client.new_multi_writer();
    writer
        .add_create(&m1, b"one", &options)
        .at("add create m1")?;
    writer
        .add_create(&m2, b"two", &options)
        .at("add create m2")?;
    writer
        .add_set_data(&m1, b"uno", Some(0))
        .at("add setData m1")?;
    writer.add_check_version(&m1, 1).at("add check m1")?;
    writer.add_delete(&m2, Some(0)).at("add delete m2")?;
    let results = within("multi", writer.commit())
        .await?
        .at("multi of 5 ops")?;
    let kinds: Vec<&str> = results
        .iter()
        .map(|result| match result {
            MultiWriteResult::Create { .. } => "create",
            MultiWriteResult::SetData { .. } => "setData",
            MultiWriteResult::Check => "check",
            MultiWriteResult::Delete => "delete",
            _ => "other",
        })
        .collect();
    expect_eq(
        "multi result kinds",
        kinds,
        vec!["create", "create", "setData", "check", "delete"],
    )?;
    // The stat of a create inside a multi is not checked: ZooKeeper 3.8.0 answers a create2 op
    // inside a multi with a plain create result (ZOOKEEPER-4026), which the client marks invalid.
    if let MultiWriteResult::Create { path, .. } = &results[0] {
        expect_eq("multi create path", path.as_str(), m1.as_str())?;
    }
    if let MultiWriteResult::SetData { stat } = &results[2] {
        expect_eq(
            "multi setData stat (version, dataLength)",
            (stat.version, stat.data_length),
            (1, 3),
        )?;
    }
    let (data, stat) = within("get m1", client.get_data(&m1))
        .await?
        .at("getData m1")?;
    expect_eq("m1 after multi", (data, stat.version), (b"uno".to_vec(), 1))?;
    let m2_stat = within("exists m2", client.check_stat(&m2))
        .await?
        .at("exists m2")?;
    expect_eq("m2 created and deleted in one multi", m2_stat, None)?;

    // Atomic failure: the bad version of op 1 rolls back op 0 and op 2 never runs.
    let mut writer = client.new_multi_writer();
    writer.add_create(&m3, b"", &options).at("add create m3")?;
    writer
        .add_set_data(&m1, b"bad", Some(7))
        .at("add setData bad version")?;
    writer.add_delete(&m1, None).at("add delete m1")?;
    let failed = within("failing multi", writer.commit()).await?;
    match failed {
        Err(MultiWriteError::OperationFailed {
            index: 1,
            source: Error::BadVersion,
        }) => {}
        other => {
            return Err(format!(
                "failing multi: expected op 1 BadVersion, got {other:?}"
            ))
        }
    }
    let m3_stat = within("exists m3", client.check_stat(&m3))
        .await?
        .at("exists m3")?;
    expect_eq("m3 after a failed multi", m3_stat, None)?;
    let (data, stat) = within("get m1", client.get_data(&m1))
        .await?
        .at("getData m1")?;
    expect_eq(
        "m1 after a failed multi",
        (data, stat.version),
        (b"uno".to_vec(), 1),
    )?;

    let mut reader = client.new_multi_reader();
    reader.add_get_data(&m1).at("add getData")?;
    reader
        .add_get_children(&scenario.root)
        .at("add getChildren")?;
    reader.add_get_data(&m3).at("add getData missing")?;
    let results = within("multiRead", reader.commit())
        .await?
        .at("multiRead")?;
    expect_eq("multiRead result count", results.len(), 3)?;
    match &results[0] {
        MultiReadResult::Data { data, stat } => expect_eq(
            "multiRead getData",
            (data.as_slice(), stat.version),
            (&b"uno"[..], 1),
        )?,
        other => return Err(format!("multiRead op 0: expected Data, got {other:?}")),
    }
    match &results[1] {
        MultiReadResult::Children { children } => {
            expect_eq("multiRead getChildren", children, &vec!["m1".to_string()])?
        }
        other => return Err(format!("multiRead op 1: expected Children, got {other:?}")),
    }
    match &results[2] {
        MultiReadResult::Error { err: Error::NoNode } => {}
        other => {
            return Err(format!(
                "multiRead op 2: expected Error NoNode, got {other:?}"
            ))
        }
    }

    within("sync", client.sync(&scenario.root))
        .await?
        .at("sync")?;
    let missing = within("sync missing", client.sync(&m3)).await?;
    // sync does not look at the path's existence in ZooKeeper.
    expect_eq("sync on a missing path", missing, Ok(()))
}
