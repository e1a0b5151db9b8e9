#[tokio::main]
async fn main() -> std::process::ExitCode {
    regio::server::cli::run().await
}
