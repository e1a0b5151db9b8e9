// Rendering a page allocates many short strings; glibc's allocator took a fifth of the server's
// CPU in a profile of the transactions page, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    regio::server::cli::run().await
}
