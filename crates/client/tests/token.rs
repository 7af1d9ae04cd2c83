//! The access token never appears in `Debug` or `Display` output, errors or logs.
//!
//! This test has a binary of its own because it installs a process-wide `tracing` subscriber.

mod common;

use common::{CapturedLogs, TOKEN, assert_demo_mapped, builder, fake, map_demo};
use hubspot_workflow_ids::{Client, FlowId};
use hubspot_workflow_ids_fake::{Fault, FaultBody, FaultRule};

#[tokio::test]
async fn token_never_in_output() {
    let logs = CapturedLogs::default();
    logs.install_global();
    let server = fake(|b| {
        b.fault(FaultRule::next(
            1,
            Fault::Status {
                status: 503,
                body: FaultBody::Json,
            },
        ))
    })
    .await;

    let good = builder(&server.url());
    let builder_debug = format!("{good:?}");
    let good = good.build().unwrap();
    let report = map_demo(&good).await;
    assert_demo_mapped(&report);

    let wrong_token = format!("{TOKEN}-wrong");
    let bad = Client::builder(wrong_token.as_str())
        .base_url(server.url())
        .build()
        .unwrap();
    let failed = bad
        .flow_ids_to_workflow_ids([FlowId::new(1).unwrap()])
        .await;
    let error = failed.errors()[0];
    assert!(error.is_authentication());

    let texts = [
        builder_debug,
        format!("{good:?}"),
        format!("{bad:?}"),
        format!("{report:?}"),
        format!("{failed:?}"),
        format!("{error}"),
        format!("{error:?}"),
        format!("{:?}", hubspot_workflow_ids::AccessToken::new(TOKEN)),
        logs.text(),
    ];
    assert!(
        logs.text().contains("hubspot_request"),
        "spans are captured"
    );
    for (index, text) in texts.iter().enumerate() {
        assert!(
            !text.contains(TOKEN),
            "text {index} shows the token: {text}"
        );
        assert!(
            !text.contains("secret-token"),
            "text {index} shows part of the token"
        );
    }
    server.shutdown().await;
}
