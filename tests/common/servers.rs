//! Real servers of each framework on a free port of 127.0.0.1, for the framework tests and the
//! four-framework equivalence test. Included with `#[path = "…/common/servers.rs"] mod servers;`
//! by the binaries that need it, so the others do not link every framework.
#![allow(dead_code, unreachable_pub)]

use std::net::Ipv4Addr;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use poem::listener::{Acceptor as _, Listener as _, TcpListener};
use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};

/// How long a server may take to start.
const START: Duration = Duration::from_secs(30);

/// Starts an actix-web server with `workers` workers on its own thread and actix system (it
/// lives as long as the test binary); returns its base URL.
pub fn actix(workers: usize, routes: fn(&mut web::ServiceConfig)) -> String {
    let (started, base) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || App::new().configure(routes))
                .workers(workers)
                .disable_signals()
                .bind(("127.0.0.1", 0));
            let server = match server {
                Ok(server) => server,
                Err(error) => {
                    let _ = started.send(Err(error));
                    return;
                }
            };
            let _ = started.send(Ok(format!("http://{}", server.addrs()[0])));
            let _ = server.run().await;
        });
    });
    base.recv_timeout(START)
        .expect("the actix-web server thread answers")
        .expect("bind 127.0.0.1:0")
}

/// A Rocket configuration for tests: 127.0.0.1, a free port, four workers, no logs, no signal
/// handling.
pub fn rocket_config() -> rocket::Config {
    rocket::Config {
        address: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        workers: 4,
        log_level: rocket::config::LogLevel::Off,
        shutdown: rocket::config::Shutdown {
            ctrlc: false,
            #[cfg(unix)]
            signals: Default::default(),
            ..Default::default()
        },
        ..rocket::Config::default()
    }
}

/// Launches `rocket` on a thread of its own, in a multi-threaded Tokio runtime with as many
/// workers as its configuration says (as `#[rocket::launch]` would); returns its base URL once
/// it listens.
pub fn rocket(rocket: Rocket<Build>) -> String {
    let workers = rocket.figment().extract_inner("workers").unwrap_or(4);
    let (listening, port) = std::sync::mpsc::channel::<Result<u16, String>>();
    let on_liftoff = listening.clone();
    let rocket = rocket.attach(AdHoc::on_liftoff("bound port", move |rocket| {
        let _ = on_liftoff.send(Ok(rocket.config().port));
        Box::pin(async {})
    }));
    std::thread::spawn(move || {
        let stopped = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("rocket-worker-thread")
            .enable_all()
            .build()
        {
            Ok(runtime) => match runtime.block_on(rocket.launch()) {
                Ok(_) => "stopped".to_owned(),
                Err(error) => error.to_string(),
            },
            Err(error) => error.to_string(),
        };
        let _ = listening.send(Err(stopped));
    });
    match port.recv_timeout(START) {
        Ok(Ok(port)) => format!("http://127.0.0.1:{port}"),
        other => panic!("the Rocket server did not start: {other:?}"),
    }
}

/// Serves `app` with Poem on the current (multi-threaded) runtime; returns its base URL.
pub async fn poem(app: poem::Route) -> String {
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .expect("bind 127.0.0.1:0");
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().copied())
        .expect("a TCP address");
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    format!("http://{addr}")
}
