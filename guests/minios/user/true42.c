/* true42.c - does nothing and exits with status 42: the smallest exec test. */
int main(void)
{
	return 42;
}
